#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The textbook's UDP timestamp server on socketserver.ThreadingUDPServer.
import socketserver
import sys
from time import ctime


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(('%s %s' % (ctime(), data.decode())).encode(), self.client_address)


srv = socketserver.ThreadingUDPServer(('127.0.0.1', int(sys.argv[1])), Handler)
srv.serve_forever()
