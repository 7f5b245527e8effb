# Lesson 04's server in the shape of the original tutorial's exercise 2, for
# `cargo xtask bench`. Python's standard library only. One change: the phone is bought once,
# before the loop (the original bought a new one for every caller, and Linux soon refuses
# that with "Address already in use"). Every caller gets the reply 'ok' instead of a typed one.
# print(..., flush=True): in a terminal Python writes every printed line at once.
# Run: python3 reconnect_server.py [PORT]   (0 lets the system pick a free port)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8041
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', port))
server.listen()
print('listening on 127.0.0.1:%d' % server.getsockname()[1], flush=True)
while True:
    conn, addr = server.accept()
    from_client_msg = conn.recv(1024)
    print(from_client_msg.decode('utf-8'), flush=True)
    conn.send('ok'.encode('utf-8'))
    conn.close()
