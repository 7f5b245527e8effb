# The chat client in the shape of the original tutorial: send, then recv(1024), no checks.
# It is here so that you can try the Rust programs against it, and see where it breaks.
# Run: python3 client.py [PORT]   (port 8001 if you give none)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8001
client = socket.socket()
client.connect(('127.0.0.1', port))
while True:
    message = input('client> ')
    client.send(message.encode('utf-8'))
    if message == 'bye':
        break
    text = client.recv(1024).decode('utf-8')
    print('server says:', text)
    if text == 'bye':
        break
client.close()
