#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tsTclntSS.py - the textbook's socketserver client (Python 3 port): a new connection per
# line, the line sent with CR LF, the reply printed stripped.
import sys
from socket import socket, AF_INET, SOCK_STREAM

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
BUFSIZ = 1024
ADDR = (HOST, PORT)

while True:
    tcpCliSock = socket(AF_INET, SOCK_STREAM)
    tcpCliSock.connect(ADDR)
    try:
        data = input('> ')
    except EOFError:
        break
    if not data:
        break
    tcpCliSock.send(('%s\r\n' % data).encode())
    data = tcpCliSock.recv(BUFSIZ)
    if not data:
        break
    print(data.decode().strip())
    tcpCliSock.close()
