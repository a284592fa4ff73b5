#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The textbook's TCP timestamp server made concurrent the usual Python way:
# socketserver.ThreadingTCPServer, one thread per client, recv(1024) / send(ctime + data).
import socketserver
import sys
from time import ctime


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(1024)
            if not data:
                break
            self.request.sendall(('%s %s' % (ctime(), data.decode())).encode())


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
srv = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), Handler)
srv.serve_forever()
