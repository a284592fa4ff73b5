#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The textbook's socketserver server (one line per connection), threaded.
import socketserver
import sys
from time import ctime


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(('%s %s' % (ctime(), self.rfile.readline().decode())).encode())


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
srv = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), Handler)
srv.serve_forever()
