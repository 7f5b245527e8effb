# Receives one file in SBPF/1, the protocol of lesson 05, into DIR. Standard library only.
# Run: python3 recv_file.py [PORT] [DIR]   (port 8051 and folder 'received' if you give none)
# It keeps the same rules as the Rust server: names refused (never cleaned), the body in
# DIR/.partial/<pid>-1.part until its digest matches, an ERR line and exit status 1 if not.
import hashlib, os, socket, sys, unicodedata

class Refused(Exception):  # Refused('SHORT', 'got 5 of 10 bytes') becomes "ERR SHORT got ..."
    pass

def recv_exact(conn, n):  # one recv(n) may return fewer bytes: loop until we have n
    data = b''
    while len(data) < n:
        piece = conn.recv(min(n - len(data), 65536))
        if not piece:
            raise Refused('SHORT', 'the call ended before all was sent')
        data += piece
    return data

def why_bad(name):  # the same rules, and the same words, as the Rust server's check_name
    if name == '': return 'a name may not be empty'
    if name in ('.', '..'): return 'a name may not be . or ..'
    if '/' in name or '\\' in name: return 'a name may not contain / or \\'
    if any(unicodedata.category(c) == 'Cc' for c in name):
        return 'a name may not contain control characters (NUL, line breaks, escapes)'
    if any(unicodedata.category(c) == 'Cf' for c in name):
        return 'a name may not contain invisible format characters (like U+200B or U+202E)'
    if name.startswith('-'): return 'a name may not start with - (programs read it as an option)'
    if name != name.strip(' '): return 'a name may not start or end with a space'
    return None

def receive(conn, folder, part):
    if recv_exact(conn, 4) != b'SBPF':
        raise Refused('BAD_MAGIC', 'this is an SBPF/1 file server; a call starts with SBPF')
    if recv_exact(conn, 1) != b'\x01':
        raise Refused('BAD_VERSION', 'this server speaks SBPF version 1')
    length = int.from_bytes(recv_exact(conn, 2), 'big')
    if length > 255:
        raise Refused('BAD_NAME', 'a name is at most 255 bytes')
    raw, size = recv_exact(conn, length), int.from_bytes(recv_exact(conn, 8), 'big')
    try:
        name = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise Refused('BAD_NAME', 'a name must be UTF-8')
    if why_bad(name):
        raise Refused('BAD_NAME', why_bad(name))
    path, digest, got = os.path.join(folder, name), hashlib.sha256(), 0
    if os.path.lexists(path):
        raise Refused('EXISTS', 'a file with this name is there already')
    with open(part, 'xb') as f:  # 'x': never overwrite anything
        conn.sendall(b'GO\n')
        while got < size:  # the body, a piece at a time, never all in memory
            piece = conn.recv(min(65536, size - got))
            if not piece:
                raise Refused('SHORT', 'got %d of %d bytes' % (got, size))
            digest.update(piece)
            f.write(piece)
            got += len(piece)
    if recv_exact(conn, 32) != digest.digest():
        raise Refused('CHECKSUM', 'the SHA-256 of the body does not match; nothing saved')
    try:
        os.link(part, path)  # the final name appears only now, and only if it is free
    except FileExistsError:
        raise Refused('EXISTS', 'a file with this name is there already')
    os.remove(part)
    conn.sendall(b'OK ' + digest.hexdigest().encode() + b'\n')

port, folder = int(sys.argv[1]) if sys.argv[1:] else 8051, sys.argv[2] if sys.argv[2:] else 'received'
partial = os.path.join(folder, '.partial')
os.makedirs(partial, exist_ok=True)
if os.path.islink(partial) or not os.path.isdir(partial):
    sys.exit('error: %s is not a folder: remove it, or choose another folder' % partial)
part = os.path.join(partial, '%d-1.part' % os.getpid())
server = socket.create_server(('127.0.0.1', port))
print('listening on 127.0.0.1:%d' % server.getsockname()[1], flush=True)
conn, caller = server.accept()
conn.settimeout(30)  # a caller silent for 30 s is dropped
try:
    receive(conn, folder, part)
except (Refused, socket.timeout) as err:
    if os.path.exists(part):
        os.remove(part)  # only the .part this program made: nothing half written stays
    code, words = err.args if isinstance(err, Refused) else ('TIMEOUT', 'nothing arrived in time; hanging up')
    print('refused %s:%d: ERR %s %s' % (caller[0], caller[1], code, words), flush=True)
    try:
        conn.sendall(('ERR %s %s\n' % (code, words)).encode())
        conn.shutdown(socket.SHUT_WR)  # hang up politely: our line first, then the end
        conn.settimeout(0.5)
        for _ in range(64):  # drop what still comes (at most 4 MiB), so no reset eats our line
            if not conn.recv(65536): break
    except OSError:
        pass
    sys.exit(1)
