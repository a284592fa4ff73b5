#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tsUclnt.py - the textbook's UDP client (Python 3 port).
import sys
from socket import socket, AF_INET, SOCK_DGRAM

HOST = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
BUFSIZ = 1024
ADDR = (HOST, PORT)

udpCliSock = socket(AF_INET, SOCK_DGRAM)
udpCliSock.settimeout(5)
while True:
    try:
        data = input('> ')
    except EOFError:
        break
    if not data:
        break
    udpCliSock.sendto(data.encode(), ADDR)
    data, ADDR = udpCliSock.recvfrom(BUFSIZ)
    if not data:
        break
    print(data.decode())
udpCliSock.close()
