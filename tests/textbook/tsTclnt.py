#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tsTclnt.py - the textbook's TCP client (Python 3 port): sends each line as typed,
# without a newline, and prints what one recv() returns.
import sys
from socket import socket, AF_INET, SOCK_STREAM

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
BUFSIZ = 1024
ADDR = (HOST, PORT)

tcpCliSock = socket(AF_INET, SOCK_STREAM)
tcpCliSock.connect(ADDR)
while True:
    try:
        data = input('> ')
    except EOFError:
        break
    if not data:
        break
    tcpCliSock.send(data.encode())
    data = tcpCliSock.recv(BUFSIZ)
    if not data:
        break
    print(data.decode())
tcpCliSock.close()
