# Sends one file in SBPF/1, the protocol of lesson 05. Standard library only.
# Run: python3 send_file.py FILE [PORT]   (port 8051 if you give none)
import hashlib, os, socket, sys

path = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8051
name = os.path.basename(path).encode('utf-8')  # bytes: len() counts bytes, not characters
size = os.path.getsize(path)
conn = socket.create_connection(('127.0.0.1', port))
conn.sendall(b'SBPF\x01' + len(name).to_bytes(2, 'big') + name + size.to_bytes(8, 'big'))
replies = conn.makefile('rb')  # readline() is fine for the short reply lines
answer = replies.readline().decode('utf-8', 'replace').rstrip('\n')
if answer != 'GO':
    sys.exit('error: the server refused the file: ' + answer)
digest = hashlib.sha256()
with open(path, 'rb') as f:
    while chunk := f.read(65536):
        digest.update(chunk)
        conn.sendall(chunk)  # sendall, not send: send may take only a part
conn.sendall(digest.digest())
print(replies.readline().decode('utf-8', 'replace').rstrip('\n'))
