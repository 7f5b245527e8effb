# The chat server in the shape of the original tutorial: one caller, recv(1024),
# no checks. It is here so that you can try the Rust programs against it, and see
# where it breaks. (These lines are four on purpose: the book's transcripts show the
# line numbers of this file's tracebacks.)
# Run: python3 server.py [PORT]   (port 8001 if you give none)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8001
server = socket.socket()
server.bind(('127.0.0.1', port))
server.listen(5)
print('listening on 127.0.0.1:%d' % server.getsockname()[1], flush=True)
conn, addr = server.accept()
while True:
    text = conn.recv(1024).decode('utf-8')
    print('client says:', text)
    if text == 'bye':
        break
    reply = input('server> ')
    conn.send(reply.encode('utf-8'))
    if reply == 'bye':
        break
conn.close()
server.close()
