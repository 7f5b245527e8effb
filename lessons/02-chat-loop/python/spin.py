# An experiment: what a receive loop does after the other side hangs up, when nothing else
# in the loop waits (no input()). It plays both sides on loopback: a caller says 'hello'
# and hangs up; the server keeps calling recv(1024) for half a second and counts.
# Run: python3 spin.py
import socket
import time

server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(5)
caller = socket.create_connection(server.getsockname())
conn, addr = server.accept()
caller.send('hello'.encode('utf-8'))
caller.close()

messages = 0
empty = 0
stop = time.monotonic() + 0.5
while time.monotonic() < stop:
    data = conn.recv(1024)
    if data:
        messages += 1
    else:
        empty += 1  # b'': the caller has hung up, and recv says so at once, every time
print('messages received:', messages)
print('empty reads in half a second:', empty)
conn.close()
server.close()
