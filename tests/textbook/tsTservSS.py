#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tsTservSS.py - the textbook's socketserver TCP server (Python 3 port): one line per connection.
import sys
from socketserver import TCPServer as TCP, StreamRequestHandler as SRH
from time import ctime

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
ADDR = (HOST, PORT)


class MyRequestHandler(SRH):
    def handle(self):
        print('...connected from:', self.client_address, flush=True)
        self.wfile.write(('%s %s' % (ctime(), self.rfile.readline().decode())).encode())


TCP.allow_reuse_address = True
tcpServ = TCP(ADDR, MyRequestHandler)
print('waiting for connection...', flush=True)
tcpServ.serve_forever()
