# Exercise 1's client in the style of the original tutorial: str(time.time()) with no newline,
# one send, then hang up. (The exercise asks for one every 10 seconds; one is enough to try a
# server with.) It is here so that you can try the Rust server against it.
# Run: python3 client.py [PORT]   (port 8001 if you give none)
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8001
client = socket.socket()
client.connect(('127.0.0.1', port))
client.send(str(time.time()).encode('utf-8'))
client.close()
