# The timestamp client in the shape of the original tutorial's exercise 1: one call, then
# str(time.time()) every 10 seconds, with nothing after it (no line ending).
# It is here so that you can try the Rust server against it and see what it says.
# Run: python3 client_repeating.py [PORT [SECONDS [COUNT]]]   (8001, every 10 s, until Ctrl-C)
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8001
interval = float(sys.argv[2]) if len(sys.argv) > 2 else 10
count = int(sys.argv[3]) if len(sys.argv) > 3 else None
client = socket.socket()
client.connect(('127.0.0.1', port))
sent = 0
while count is None or sent < count:
    if sent > 0:
        time.sleep(interval)
    t = time.time()
    client.send(str(t).encode('utf-8'))
    print('sent', t)
    sent += 1
client.close()
