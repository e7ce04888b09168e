"""The embedded default's broker hands a worker only whole messages, even while they are being written."""
import threading

from kombu import Connection
from kombu.simple import SimpleQueue

from config.filesystem_broker import Transport
from config.settings.base import filesystem_broker_options

MESSAGES = 40
PAYLOAD = "x" * (2 << 20)  # large enough that writing a message takes a while


def test_a_message_is_never_read_half_written(tmp_path):
    options = filesystem_broker_options(tmp_path)
    received, errors = [], []

    def produce() -> None:
        with Connection(transport=Transport, transport_options=options) as connection:
            queue = SimpleQueue(connection, "race")
            for index in range(MESSAGES):
                queue.put({"index": index, "payload": PAYLOAD})
            queue.close()

    with Connection(transport=Transport, transport_options=options) as connection:
        queue = SimpleQueue(connection, "race")
        producer = threading.Thread(target=produce)
        producer.start()
        while len(received) < MESSAGES and not errors:
            try:
                message = queue.get(timeout=30)
            except Exception as error:  # a half-written message fails to decode here
                errors.append(error)
                break
            received.append(message.payload)
            message.ack()
        producer.join()
        queue.close()
    assert errors == []
    assert [message["index"] for message in received] == list(range(MESSAGES))
    assert all(message["payload"] == PAYLOAD for message in received)
