#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tls_wrap.py - run one of the textbook's clients (tests/textbook/) over TLS, unchanged:
the socket class the program imports is one whose connect() wraps the connection in
Python's ssl module, verifying the server against CA with the name "localhost".

  tls_wrap.py CA PROGRAM.py [ARGS...]
"""
import runpy
import socket
import ssl
import sys

CA, PROG = sys.argv[1], sys.argv[2]
CTX = ssl.create_default_context(cafile=CA)
_socket = socket.socket


class TLSSocket:
    """A socket that becomes a verified TLS socket when it connects."""

    def __init__(self, *args, **kwargs):
        self._raw = _socket(*args, **kwargs)
        self._s = None

    def connect(self, addr):
        self._raw.connect(addr)
        self._s = CTX.wrap_socket(self._raw, server_hostname='localhost')

    def __getattr__(self, name):
        return getattr(self._s if self._s is not None else self._raw, name)


socket.socket = TLSSocket
sys.argv = [PROG] + sys.argv[3:]
runpy.run_path(PROG, run_name='__main__')
