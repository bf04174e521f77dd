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

import copy
import json
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
