# A group-call client in Python, standard library only: a thread prints what the
# others say, while the main thread sends what you type. It speaks the same lines as
# the Rust one.
# Run: python3 client.py [PORT] [NAME]   (port 8061 if you give none)
import os
import socket
import sys
import threading
import unicodedata

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8061
call = socket.create_connection(('127.0.0.1', port))
if len(sys.argv) > 2:
    call.sendall(('NAME %s\n' % sys.argv[2]).encode('utf-8'))


def listen():
    # makefile() reads the call line by line; errors='replace' shows bad bytes as
    # '\ufffd'.
    for line in call.makefile('r', encoding='utf-8', errors='replace', newline='\n'):
        # Show control characters (category Cc) escaped, like \x1b, so nobody can
        # rewrite our screen. Tabs stay.
        text = line.rstrip('\n')
        shown = (repr(c)[1:-1] if c != '\t' and unicodedata.category(c) == 'Cc' else c
                 for c in text)
        print(''.join(shown))
    print('the server hung up')
    os._exit(0)  # the main thread waits for the keyboard; nothing else can stop it


threading.Thread(target=listen, daemon=True).start()
for line in sys.stdin:
    call.sendall(line.encode('utf-8'))
    if line.rstrip('\r\n') == 'bye':
        break
# The server hangs up on us after our bye or end of input.
call.shutdown(socket.SHUT_WR)
