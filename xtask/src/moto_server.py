r"""moto's server with DynamoDB requests applied one at a time.

DynamoDB applies every conditional write (and transaction) atomically: of two concurrent
writes conditioned on the same state, one fails. moto checks the condition and writes
without a lock, so under load two concurrent requests can both pass (measured with
moto 5.2.5: a claim-once condition let two senders through). The portal's exactly-once
guarantees rest on that atomicity, so the local stack restores it with one lock around
DynamoDB request handling; every other service stays concurrent.

moto also remembers every model object it ever made (`instances_tracked`, only read by its
`/moto-api/data.json` dashboard and cleared by a reset), and a transaction deep-copies the
whole table first (its rollback copy), so every TransactWriteItems kept a copy of the table
for good: measured, a 3,000-item table grew the server by 4 MB per transaction (150
transactions: 86 MB → 718 MB, 870 ms each), and `cargo xtask soak` took it past 16 GB. No
test reads DynamoDB from the dashboard, so DynamoDB's tracked objects are forgotten after
each request (the same 150 transactions: 96 MB, 140 ms each). The dashboard's
`/moto-api/data.json` (the tests read sent emails there) takes the same lock: it reads every
tracked object's attributes twice without a lock, so a DynamoDB request in between made it
answer 500 (`Object of type Item is not JSON serializable`) under load.

Sent email is captured on purpose: every message SES accepts (the portal sends raw MIME
through SES v2, which moto hands to SES v1's `send_raw_email`) is also appended to one
list under its own lock, and `GET /moto-api/portal/mailbox[?to=address]` returns just that
list as JSON, oldest first: `{id, sentAt, source, to, raw}` per message, `to` the bare
addresses, lower-cased. The tests, the seeding and the local mailbox page
(`xtask/src/mailbox.rs`) read it; nobody reads `/moto-api/data.json`, which serializes
every tracked object of every service and can fail while another service changes state.
A reset (`POST /moto-api/reset`) empties it with the rest.

moto (5.x) does not implement Cognito's ResendConfirmationCode: it answered with an error the
SDK retries, so every `POST /registration/resend` made three attempts with back-off (1.5 s).
It is added here the way AWS answers: code details for an account waiting for its
confirmation, `UserNotFoundException` for an unknown one, `InvalidParameterException` for one
already confirmed (moto sends no confirmation emails, so there is nothing to send).

That rollback copy is also taken once per *action* of the transaction, not once per table:
`transact_write_items` deep-copies the table inside its loop over the actions, so a
transaction of 25 actions (a contact with its search words) copied the whole table 25 times,
and every transactional write grew with the table and the size of the transaction (profiled
mid-suite: a 3,300-item table, moto at 100 % of a core, most of it in that `deepcopy`). Here
the rollback copy is a snapshot made once per table per transaction: the partitions copied
shallowly and only the items the transaction names copied deeply (3,000 items, a 25-action
transaction: 1.66 s with moto's copies, 7 ms with the snapshot); a cancelled transaction
still restores every item.

The snapshot leaves the table's stream out: moto's copy took the stream's shard with it (every
record the table ever wrote, copied again per transaction), and a rollback swapped the live
shard for that copy, so a stream reader's shard iterator (bound to the shard object) read a
shard nothing was written to any more: after the first cancelled transaction the view index's
poller saw no record again. The snapshot shares the live shard, and a rollback drops the
records the cancelled actions had added to it (AWS streams nothing of a cancelled
transaction); stream reads take the DynamoDB lock, so none sees those records in between.
`tests/e2e/emulator.rs` checks both.

moto answers every `Query` by sorting the whole table and walking it (`Table.all_items`), for
an index query as for a table query, so a query cost grew with the table, not with what it
returns. Here each table's keys are also kept in query order (`_KeyOrder`), and moto's own
query is handed just the items inside the key condition's range; `PORTAL_MOTO_CHECK_QUERIES=1`
answers every query both ways and logs any difference.

moto's Cognito is not safe under concurrent requests either: finding a user by email walks
the pool's user dict (`CognitoIdpUserPool._get_user`), so a sign-in that ran while another
request created a user in the same pool failed with `dictionary changed size during
iteration` (a 500). The SDK retries a 500, and in RespondToAuthChallenge the first attempt
had already consumed the session before it failed, so the retry was refused and a valid
new-password step answered 401 (seen once in CI, `staff::an_admin_invites_a_colleague…`).
Measured: six threads creating 600 users each while three signed in 300 times made 107
answers `OrderedDict mutated during iteration`; with the lock, none (test:
`races::sign_ins_while_accounts_are_created_in_the_same_pool_all_succeed`). AWS applies each
Cognito request atomically; here Cognito requests take their own lock, apart from DynamoDB's.

moto's Cognito is stricter than AWS about email usernames: in a pool whose username is the
email, AdminCreateUser and SignUp check the address against `[A-Za-z0-9._%+-]+@…` (with a
word boundary first and a letters-only top-level domain), so `o'neil@…`, `a/b@…`, `x=y@…`
and the other RFC 5322 local-part characters (`! # $ & * = ? ^ { | } ~` and the backtick) were refused with
`InvalidParameterException` ("Username should be either an email or a phone number"), which
AWS accepts (its Username pattern is `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`). Here the email format
is an RFC 5322 dot-atom address instead. moto checks neither that pattern nor the Username's
length (1 to 128) in the operations that name a user; AWS refuses both with
`InvalidParameterException`, so the same check is added in front of each of them.
"""

import bisect
import copy
import json
import os
import sys
import threading
import time
import unicodedata
from collections import defaultdict
from email.utils import getaddresses
from urllib.parse import parse_qs, urlparse

from moto.cognitoidp.exceptions import InvalidParameterException, UserNotFoundError
from moto.cognitoidp.models import UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.cognitoidp import utils as cognito_utils
from moto.core.model_instances import model_data
from moto.core.responses import ActionResult
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_api._internal.responses import MotoAPIResponse
from moto.server import main
from moto.ses.models import SESBackend

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialized_call_action(self):
    with _lock:
        try:
            return _call_action(self)
        finally:
            if isinstance(self.body, dict):
                _register_written(self.dynamodb_backend, self._get_action(), self.body)
            _forget_dynamodb_instances()


def _forget_dynamodb_instances():
    for model in model_data.get("dynamodb", {}).values():
        model.instances_tracked = []


DynamoHandler.call_action = _serialized_call_action

# A stream read takes the same lock: a transaction may append records and, cancelled, take
# them back (below), so a read in between would see records that never were, and numbers
# that later records reuse.
_streams_call_action = DynamoDBStreamsHandler.call_action


def _serialized_streams_call_action(self):
    with _lock:
        return _streams_call_action(self)


DynamoDBStreamsHandler.call_action = _serialized_streams_call_action


class _TableSnapshotPerTransaction:
    """`copy` as moto's DynamoDB models see it: within a transaction, the "deep copy" of a
    table (its rollback copy) is a snapshot made once per table: the table's fields and its
    partitions copied shallowly, only the items the transaction names copied deeply (an update
    changes its item in place; a put or delete replaces or removes an entry of the copied
    partition), and the live stream shard shared. Everything else is the `copy` module.
    DynamoDB requests run one at a time (the lock above), so one transaction at a time uses it."""

    def __init__(self):
        self.copies = None
        self.touched = {}

    def deepcopy(self, value, memo=None):
        if self.copies is not None and isinstance(value, dynamodb_models.Table):
            if id(value) not in self.copies:
                self.copies[id(value)] = self._snapshot(value)
            return self.copies[id(value)]
        return copy.deepcopy(value, memo)

    def _snapshot(self, table):
        snapshot = copy.copy(table)
        snapshot.items = defaultdict(dict)
        for hash_value, partition in table.items.items():
            snapshot.items[hash_value] = dict(partition) if isinstance(partition, dict) else partition
        for hash_value, range_value in self.touched.get(table.name, ()):
            partition = snapshot.items.get(hash_value)
            if range_value is None:
                if partition is not None and not isinstance(partition, dict):
                    snapshot.items[hash_value] = copy.deepcopy(partition)
            elif partition is not None and range_value in partition:
                partition[range_value] = copy.deepcopy(partition[range_value])
        return snapshot

    def __getattr__(self, name):
        return getattr(copy, name)


def _touched_keys(backend, transact_items):
    """Each table's (hash, range) keys the transaction's actions name, as moto keys its items."""
    touched = {}
    for action in transact_items:
        _, op = next(iter(action.items()))
        table = backend.tables.get(op.get("TableName"))
        key = op.get("Key") or op.get("Item")
        if table is None or not key or table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_attr = table.range_key_attr
        range_value = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
        touched.setdefault(table.name, []).append((hash_value, range_value))
    return touched


_table_copies = _TableSnapshotPerTransaction()
dynamodb_models.copy = _table_copies
_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_write_items_with_snapshots(self, transact_items):
    streamed = {
        name: (table.stream_shard, len(table.stream_shard.items))
        for name, table in self.tables.items()
        if table.stream_shard is not None
    }
    _table_copies.copies = {}
    _table_copies.touched = _touched_keys(self, transact_items)
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        # Rolled back: the snapshot shares the live shard; the cancelled actions' records go.
        for name, (shard, length) in streamed.items():
            table = self.tables.get(name)
            if table is not None and table.stream_shard is shard and shard.table is not table:
                del shard.items[length:]
                shard.table = table
        raise
    finally:
        _table_copies.copies = None
        _table_copies.touched = {}


dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items_with_snapshots



class _KeyOrder:
    """One table's keys in the order its queries read them: per partition of the table, its
    sort keys; per partition of each global index, its (index sort key, table keys). moto
    answers every `Query` by sorting the whole table (`Table.all_items`) and walking it, so a
    query cost grew with the table, not with what it returns (the view index's queries and the
    growth benchmark's 100,000 items). Kept as a superset of the truth: every write request
    adds the keys it wrote (`_register`); an entry that no longer matches its item (deleted,
    or its index keys changed) is dropped when a query meets it. String keys only (the
    portal's table); anything else is left to moto."""

    def __init__(self, table):
        self.indexes = [_index_keys(index) for index in table.global_indexes]
        self.partitions = defaultdict(list)  # hash value -> sorted range values
        self.index_partitions = defaultdict(list)  # (hash attr, value) -> sorted (range, table hash, table range)
        for partition in table.items.values():
            for item in partition.values():
                self.add(item)

    def add(self, item):
        hash_value, range_value = item.hash_key.value, item.range_key.value
        _insort_new(self.partitions[hash_value], range_value)
        for hash_attr, range_attr in self.indexes:
            index_hash, index_range = item.attrs.get(hash_attr), item.attrs.get(range_attr)
            if index_hash is not None and index_range is not None and index_hash.type == index_range.type == "S":
                entry = (index_range.value, hash_value, range_value)
                _insort_new(self.index_partitions[(hash_attr, index_hash.value)], entry)


def _index_keys(index):
    keys = {k["KeyType"]: k["AttributeName"] for k in index.schema}
    return keys.get("HASH"), keys.get("RANGE")


def _insort_new(entries, entry):
    at = bisect.bisect_left(entries, entry)
    if at == len(entries) or entries[at] != entry:
        entries.insert(at, entry)


def _string_keyed(table):
    """The table and each global index keyed by a string hash and a string range key."""
    types = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    keys = [table.hash_key_attr, table.range_key_attr]
    for index in table.global_indexes:
        keys.extend(_index_keys(index))
    return all(key is not None and types.get(key) == "S" for key in keys) and not table.indexes


def _key_order(table):
    """The table's `_KeyOrder`, made from its items on first use (or after a write the hooks
    do not know); None for a table not keyed by strings."""
    order = table.__dict__.get("_portal_key_order")
    if order is None:
        if not _string_keyed(table):
            return None
        order = table.__dict__["_portal_key_order"] = _KeyOrder(table)
    return order


def _register(table, hash_value, range_value):
    order = table.__dict__.get("_portal_key_order")
    if order is None or hash_value is None or range_value is None:
        return
    item = table.items.get(hash_value, {}).get(range_value)
    if item is not None:
        order.add(item)


# A key condition's comparison as moto names it (`<` from `KeyConditionExpression`, `LT` from
# the older `KeyConditions`).
_COMPARISONS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}


def _span(entries, comparison, values, key):
    """The slice of sorted `entries` that can satisfy `key(entry) <comparison> values`
    (moto checks the comparison again: a slice too wide would only cost time)."""
    if comparison is None:
        return 0, len(entries)
    comparison = _COMPARISONS.get(comparison, comparison)
    if any(value.type != "S" for value in values):
        return None
    first = values[0].value
    left = lambda v: bisect.bisect_left(entries, v, key=key)  # noqa: E731
    right = lambda v: bisect.bisect_right(entries, v, key=key)  # noqa: E731
    if comparison == "EQ":
        return left(first), right(first)
    if comparison == "LT":
        return 0, left(first)
    if comparison == "LE":
        return 0, right(first)
    if comparison == "GT":
        return right(first), len(entries)
    if comparison == "GE":
        return left(first), len(entries)
    if comparison == "BETWEEN":
        return left(first), right(values[1].value)
    if comparison == "BEGINS_WITH":
        start = left(first)
        end = start
        while end < len(entries) and key(entries[end]).startswith(first):
            end += 1
        return start, end
    return None


def _after_start_key(entries, span, start, forward):
    """Narrows `span` to the entries after the exclusive start key in the reading order."""
    low, high = span
    if forward:
        return max(low, bisect.bisect_right(entries, start, lo=low, hi=high)), high
    return low, min(high, bisect.bisect_left(entries, start, lo=low, hi=high))


def _string_attr(item, attr):
    value = item.attrs.get(attr)
    return value.value if value is not None and value.type == "S" else None


def _string_of(key, attr):
    value = key.get(attr) if key and attr else None
    return value.get("S") if isinstance(value, dict) else None


def _candidates(table, hash_key, range_comparison, range_objs, exclusive_start_key, forward, index_name,
                hash_key_conditions, range_key_conditions):
    """The items a query can return, in a superset no larger than its key range; None: moto
    answers it the way it does (a walk of the whole table)."""
    order = _key_order(table)
    if order is None or (range_key_conditions and len(range_key_conditions) > 1):
        return None
    if not index_name:
        if hash_key is None or hash_key.type != "S":
            return None
        entries = order.partitions.get(hash_key.value, [])
        span = _span(entries, range_comparison, range_objs, key=lambda e: e)
        start = _string_of(exclusive_start_key, table.range_key_attr)
        if start is not None and _string_of(exclusive_start_key, table.hash_key_attr) == hash_key.value:
            span = span and _after_start_key(entries, span, start, forward)
        partition = table.items.get(hash_key, {})

        def current(range_value):
            return partition.get(DynamoType({"S": range_value}))
    else:
        index = next((i for i in table.global_indexes if i.name == index_name), None)
        if index is None or not hash_key_conditions or len(hash_key_conditions) != 1:
            return None
        hash_attr, range_attr = _index_keys(index)
        ((condition_attr, hash_value),) = hash_key_conditions
        if condition_attr != hash_attr or hash_value.type != "S":
            return None
        entries = order.index_partitions.get((hash_attr, hash_value.value), [])
        span = _span(entries, range_comparison, range_objs, key=lambda e: e[0])
        start = tuple(
            _string_of(exclusive_start_key, a) for a in (range_attr, table.hash_key_attr, table.range_key_attr)
        )
        if None not in start and _string_of(exclusive_start_key, hash_attr) == hash_value.value:
            span = span and _after_start_key(entries, span, start, forward)

        def current(entry):
            index_range, item_hash, item_range = entry
            item = table.items.get(DynamoType({"S": item_hash}), {}).get(DynamoType({"S": item_range}))
            matches = (
                item is not None
                and _string_attr(item, hash_attr) == hash_value.value
                and _string_attr(item, range_attr) == index_range
            )
            return item if matches else None

    if span is None:
        return None
    found, stale = [], []
    for entry in entries[span[0] : span[1]]:
        item = current(entry)
        (found if item is not None else stale).append(item if item is not None else entry)
    # moto reads on past the key range to the partition's next item: having reached the
    # Limit there, it answers a LastEvaluatedKey (as DynamoDB may). So that item comes too.
    beyond = range(span[1], len(entries)) if forward else range(span[0] - 1, -1, -1)
    for at in beyond:
        item = current(entries[at])
        if item is not None:
            found.append(item)
            break
        stale.append(entries[at])
    for entry in stale:
        entries.pop(bisect.bisect_left(entries, entry))
    return found


_query = dynamodb_models.Table.query


def _query_in_key_order(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                        scan_index_forward, projection_expressions, index_name=None, consistent_read=False,
                        filter_expression=None, hash_key_conditions=None, range_key_conditions=None, **filter_kwargs):
    args = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
            projection_expressions, index_name, consistent_read, filter_expression)
    kwargs = dict(hash_key_conditions=hash_key_conditions, range_key_conditions=range_key_conditions, **filter_kwargs)
    candidates = None
    if not filter_kwargs:
        candidates = _candidates(self, hash_key, range_comparison, range_objs, exclusive_start_key,
                                 scan_index_forward is not False, index_name, hash_key_conditions,
                                 range_key_conditions)
    if candidates is None:
        if _TRACE_FALLBACK:
            print(f"moto_server: FALLBACK {index_name} {hash_key} {hash_key_conditions} {range_comparison} "
                  f"{range_objs} {range_key_conditions} {filter_kwargs}", file=sys.stderr, flush=True)
        return _query(self, *args, **kwargs)
    # moto's query, given just the candidates where it would walk the whole table.
    self.all_items = lambda: candidates
    try:
        answer = _query(self, *args, **kwargs)
    finally:
        del self.all_items
    if _CHECK_QUERIES:
        expected = _query(self, *args, **kwargs)
        if _answer(answer) != _answer(expected):
            print(f"moto_server: QUERY MISMATCH on {self.name} {index_name} {hash_key} {hash_key_conditions} "
                  f"{range_comparison} {range_objs} {exclusive_start_key} limit {limit} forward {scan_index_forward}: "
                  f"{_answer(answer)} != {_answer(expected)}", file=sys.stderr, flush=True)
            return expected
    return answer


def _answer(answer):
    items, scanned, last_key = answer
    return [item.to_json() for item in items], scanned, json.dumps(last_key, sort_keys=True, default=str)


# PORTAL_MOTO_CHECK_QUERIES=1: every query is also answered moto's way and compared (slow;
# for checking this launcher, e.g. one run of the suite).
_CHECK_QUERIES = os.environ.get("PORTAL_MOTO_CHECK_QUERIES") == "1"
# PORTAL_MOTO_TRACE_FALLBACK=1: every query left to moto's walk is logged.
_TRACE_FALLBACK = os.environ.get("PORTAL_MOTO_TRACE_FALLBACK") == "1"
dynamodb_models.Table.query = _query_in_key_order

# What each write request wrote, for the key orders (DeleteItem needs nothing: a deleted
# item's entries are dropped when met). Any other write (PartiQL, a restore, an import)
# makes every key order be rebuilt from the items.
_NOTHING_TO_REGISTER = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DeleteItem",
                        "DescribeTable", "ListTables", "DescribeTimeToLive", "UpdateTimeToLive",
                        "ListTagsOfResource", "DescribeContinuousBackups", "DescribeStream"}


def _register_written(backend, action, params):
    if action in _NOTHING_TO_REGISTER:
        return
    # Each write as a transaction's action names it, so that `_touched_keys` reads them all.
    if action in ("PutItem", "UpdateItem"):
        actions = [{action: params}]
    elif action == "BatchWriteItem":
        actions = [
            {"Put": {"TableName": name, "Item": request["PutRequest"]["Item"]}}
            for name, requests in (params.get("RequestItems") or {}).items()
            for request in requests
            if "PutRequest" in request
        ]
    elif action == "TransactWriteItems":
        actions = params.get("TransactItems") or []
    else:
        for table in backend.tables.values():
            table.__dict__.pop("_portal_key_order", None)
        return
    for name, keys in _touched_keys(backend, actions).items():
        for hash_value, range_value in keys:
            _register(backend.tables[name], hash_value, range_value)


_cognito_lock = threading.Lock()
_cognito_call_action = CognitoIdpResponse.call_action


def _serialized_cognito_call_action(self):
    with _cognito_lock:
        return _cognito_call_action(self)


CognitoIdpResponse.call_action = _serialized_cognito_call_action

_model_data = MotoAPIResponse.model_data


def _serialized_model_data(self, *args, **kwargs):
    with _lock:
        return _model_data(self, *args, **kwargs)


MotoAPIResponse.model_data = _serialized_model_data
moto_api_urls.url_paths["{0}/moto-api/data.json"] = moto_api_urls.response_instance.model_data


_mailbox_lock = threading.Lock()
_mailbox = []
_send_raw_email = SESBackend.send_raw_email


def _captured_send_raw_email(self, source, destinations, raw_data):
    message = _send_raw_email(self, source, destinations, raw_data)
    addresses = sorted({address.lower() for _, address in getaddresses(message.destinations) if address})
    with _mailbox_lock:
        _mailbox.append(
            {
                "id": message.id,
                "sentAt": time.time(),
                "source": message.source,
                "to": addresses,
                "raw": message.raw_data,
            }
        )
    return message


SESBackend.send_raw_email = _captured_send_raw_email


def _mailbox_messages(request, full_url, headers):
    wanted = parse_qs(urlparse(full_url).query).get("to", [None])[0]
    wanted = wanted.strip().lower() if wanted else None
    with _mailbox_lock:
        messages = [m for m in _mailbox if wanted is None or wanted in m["to"]]
    return 200, {"Content-Type": "application/json"}, json.dumps(messages)


moto_api_urls.url_paths["{0}/moto-api/portal/mailbox"] = _mailbox_messages

_reset_response = MotoAPIResponse.reset_response


def _reset_with_mailbox(self, *args, **kwargs):
    with _mailbox_lock:
        _mailbox.clear()
    return _reset_response(self, *args, **kwargs)


MotoAPIResponse.reset_response = _reset_with_mailbox
moto_api_urls.url_paths["{0}/moto-api/reset"] = moto_api_urls.response_instance.reset_response


def _resend_confirmation_code(self):
    client_id = self._get_param("ClientId")
    username = self._get_param("Username")
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    user = pool._get_user(username) if pool else None
    if user is None:
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status == UserStatus.CONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    return ActionResult(
        {"CodeDeliveryDetails": {"Destination": "***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}}
    )


CognitoIdpResponse.resend_confirmation_code = _resend_confirmation_code

# RFC 5322 dot-atom: atext runs joined by single dots; the domain as dotted LDH labels.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
cognito_utils.FORMATS["email"] = rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+"

# Every Cognito operation the portal (and its tests) call with a `Username`.
_USERNAME_ACTIONS = [
    "admin_create_user",
    "admin_get_user",
    "admin_delete_user",
    "admin_set_user_password",
    "admin_add_user_to_group",
    "admin_user_global_sign_out",
    "admin_confirm_sign_up",
    "sign_up",
    "confirm_sign_up",
    "resend_confirmation_code",
    "forgot_password",
    "confirm_forgot_password",
]


def _username_refusal(username):
    """AWS's constraint on `Username` (length 1 to 128, pattern [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+)."""
    prefix = "1 validation error detected: Value at 'username' failed to satisfy constraint: "
    if len(username) > 128:
        return prefix + "Member must have length less than or equal to 128"
    if not username or any(unicodedata.category(c)[0] not in "LMSNP" for c in username):
        return prefix + r"Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+"
    return None


def _checking_username(action):
    def checked(self):
        username = self._get_param("Username")
        refusal = _username_refusal(username) if isinstance(username, str) else None
        if refusal:
            raise InvalidParameterException(refusal)
        return action(self)

    return checked


for _name in _USERNAME_ACTIONS:
    setattr(CognitoIdpResponse, _name, _checking_username(getattr(CognitoIdpResponse, _name)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
