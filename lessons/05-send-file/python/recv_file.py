# Receives one file in SBPF/1, the protocol of lesson 05, into DIR. Standard library only.
# Run: python3 recv_file.py [PORT] [DIR]   (port 8051 and folder 'received' if you give none)
import hashlib, os, socket, sys

def recv_exact(conn, n):  # one recv(n) may return fewer bytes: loop until we have n
    data = b''
    while len(data) < n:
        piece = conn.recv(min(n - len(data), 65536))
        if not piece:
            raise EOFError('the caller hung up')
        data += piece
    return data

port, folder = int(sys.argv[1]) if sys.argv[1:] else 8051, sys.argv[2] if sys.argv[2:] else 'received'
server = socket.create_server(('127.0.0.1', port))
print('listening on 127.0.0.1:%d' % server.getsockname()[1], flush=True)
conn, caller = server.accept()
assert recv_exact(conn, 5) == b'SBPF\x01', 'not an SBPF/1 caller'
name = recv_exact(conn, int.from_bytes(recv_exact(conn, 2), 'big')).decode('utf-8')
size, path, digest = int.from_bytes(recv_exact(conn, 8), 'big'), os.path.join(folder, name), hashlib.sha256()
if name in ('', '.', '..') or os.path.basename(name) != name or '\\' in name or os.path.lexists(path):
    sys.exit(conn.sendall(b'ERR BAD_NAME refused\n'))  # a plain, new file name, or nothing
conn.sendall(b'GO\n')
with open(path + '.part', 'xb') as part:  # 'x': never overwrite anything
    for start in range(0, size, 65536):  # the body, a piece at a time, never all in memory
        piece = recv_exact(conn, min(65536, size - start))
        digest.update(piece)
        part.write(piece)
if recv_exact(conn, 32) != digest.digest():
    sys.exit(os.remove(path + '.part') or conn.sendall(b'ERR CHECKSUM\n'))
os.link(path + '.part', path)  # the final name appears only now, and only if it is free
os.remove(path + '.part')
conn.sendall(b'OK ' + digest.hexdigest().encode() + b'\n')
