"""moto's server with DynamoDB requests applied one at a time.

DynamoDB applies every conditional write (and transaction) atomically: of two concurrent
writes conditioned on the same state, one fails. moto checks the condition and writes
without a lock, so under load two concurrent requests can both pass (measured with
moto 5.2.5: a claim-once condition let two senders through). The portal's exactly-once
guarantees rest on that atomicity, so the local stack restores it with one lock around
DynamoDB request handling; every other service stays concurrent.
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialized_call_action(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized_call_action

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
