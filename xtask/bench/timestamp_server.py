# Lesson 03's server in the shape of the original tutorial, for `cargo xtask bench`.
# Python's standard library only. For every timestamp it does what the original's exercise 1
# does: float(), time.localtime(), time.strftime('%Y-%m-%d %H:%M:%S'), print. Like the Rust
# lesson it reads lines, because a timestamp ends with '\n' (one recv can hold many).
# print(..., flush=True): in a terminal Python writes every printed line at once; the bench
# reads the output through a pipe, where Python would otherwise keep it back.
# Run: python3 timestamp_server.py [PORT]   (0 lets the system pick a free port)
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8001
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', port))
server.listen(5)
print('listening on 127.0.0.1:%d' % server.getsockname()[1], flush=True)
while True:
    conn, addr = server.accept()
    print('picked up a call from %s:%d' % addr, flush=True)
    pending = b''
    while True:
        data = conn.recv(1024)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b'\n')
        for line in lines:
            str_t = line.decode('utf-8')
            stru_t = time.localtime(float(str_t))
            print(str_t, '->', time.strftime('%Y-%m-%d %H:%M:%S', stru_t), flush=True)
    conn.close()
    print('%s:%d hung up' % addr, flush=True)
