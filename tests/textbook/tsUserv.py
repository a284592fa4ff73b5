#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tsUserv.py - the textbook's UDP timestamp server (Python 3 port).
import sys
from socket import socket, AF_INET, SOCK_DGRAM
from time import ctime

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
BUFSIZ = 1024
ADDR = (HOST, PORT)

udpSerSock = socket(AF_INET, SOCK_DGRAM)
udpSerSock.bind(ADDR)
while True:
    print('waiting for message...', flush=True)
    data, addr = udpSerSock.recvfrom(BUFSIZ)
    udpSerSock.sendto(('%s %s' % (ctime(), data.decode())).encode(), addr)
    print('...received from and returned to:', addr, flush=True)
