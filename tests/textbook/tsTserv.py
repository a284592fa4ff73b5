#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tsTserv.py - the textbook's iterative TCP timestamp server (Python 3 port).
import sys
from socket import socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR
from time import ctime

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
BUFSIZ = 1024
ADDR = (HOST, PORT)

tcpSerSock = socket(AF_INET, SOCK_STREAM)
tcpSerSock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
tcpSerSock.bind(ADDR)
tcpSerSock.listen(5)

while True:
    print('waiting for connection...', flush=True)
    tcpCliSock, addr = tcpSerSock.accept()
    print('...connected from:', addr, flush=True)
    while True:
        data = tcpCliSock.recv(BUFSIZ)
        if not data:
            break
        tcpCliSock.send(('%s %s' % (ctime(), data.decode())).encode())
    tcpCliSock.close()
tcpSerSock.close()
