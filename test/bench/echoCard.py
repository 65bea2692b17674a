"""The cheapest card there can be, for the bench's floor: connected to one of ekort's reader
slots (a Unix-domain socket path in argv[1]), it answers every APDU 90 00 and its ATR when asked.
What is left of an APDU's time through pcscd is then pcscd's and the sending program's."""
import socket
import struct
import sys

ATR = bytes.fromhex("3b8f8001807380018059454b4f52542d50495680")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
buf = b""
while True:
    data = sock.recv(65536)
    if not data:
        break
    buf += data
    while len(buf) >= 2:
        n = struct.unpack(">H", buf[:2])[0]
        if len(buf) < 2 + n:
            break
        frame, buf = buf[2:2 + n], buf[2 + n:]
        if len(frame) == 1:
            if frame[0] == 4:
                sock.sendall(struct.pack(">H", len(ATR)) + ATR)
        else:
            sock.sendall(b"\x00\x02\x90\x00")
