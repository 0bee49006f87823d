#!/usr/bin/env python3
"""What each device unikit adds costs QEMU's start (issue 18), for bench/startup.sh.

Usage: qemu_devices.py FLOOR_ELF ACCEL RUNS [UNIKIT]

Boots the floor image (a kernel that exits at its first instruction) with
the raw QEMU command, then with each of unikit's additions as unikit makes
them: the console and the program's three streams on virtio-serial, each a
socket whose other end this script holds and drains (as unikit's relay
does), the QMP monitor on a socket (as unikit opens it: the capabilities
exchange waits 0.2 s, past the floor's end), the same with the exchange at
once (as unikit did before, and as a run longer than 0.2 s pays it, off
its start), the control file on debugcon, and all of them together, as
unikit starts them. The variants take
turns, RUNS rounds, so that a busy moment of the machine falls on all of
them alike. With UNIKIT, the floor through `UNIKIT run --rm hello` takes
its turn too (UNIKIT_BENCH_IMAGE; hello must be built in UNIKIT_HOME), so
that what unikit's own process adds is measured against the same raw runs.
Prints Markdown rows: median microseconds, and the difference to the raw
command.
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def base(floor, accel):
    return ["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,pic=off,acpi=off,rtc=on",
            "-cpu", "max", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-accel", accel,
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-m", "16384k",
            "-kernel", floor]


class Boot:
    """One QEMU command line being built, with the socket ends QEMU gets."""

    def __init__(self, args):
        self.args = list(args)
        self.ours, self.theirs = [], []

    def socket_fd(self):
        ours, theirs = socket.socketpair()
        self.ours.append(ours)
        self.theirs.append(theirs)
        return theirs.fileno()

    def streams(self):
        self.args += ["-global", "virtio-mmio.force-legacy=false",
                      "-device", "virtio-serial-device,max_ports=5",
                      "-chardev", f"socket,id=con,fd={self.socket_fd()}", "-serial", "chardev:con"]
        for nr, name in enumerate(["stdout", "stderr", "control"], start=2):
            self.args += ["-chardev", f"socket,id={name},fd={self.socket_fd()}",
                          "-device", f"virtserialport,chardev={name},name=unikit.{name},nr={nr}"]

    def monitor(self):
        self.args += ["-chardev", f"socket,id=mon,fd={self.socket_fd()}",
                      "-mon", "chardev=mon,mode=control"]
        return self.ours[-1]

    def control(self, path):
        self.args += ["-chardev", f"file,id=ctl,append=on,path={path}",
                      "-device", "isa-debugcon,iobase=0xe9,chardev=ctl"]


def drain(sock):
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def unikit_us(unikit, floor):
    env = dict(os.environ, UNIKIT_BENCH_IMAGE=floor)
    start = time.perf_counter()
    subprocess.run([unikit, "run", "--rm", "hello"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1e6


def boot_us(args, variant, control_path):
    b = Boot(args)
    qmp = None
    if variant in ("streams", "all"):
        b.streams()
    if variant in ("monitor", "exchange", "all"):
        qmp = b.monitor()
    if variant in ("control", "all"):
        b.control(control_path)
    start = time.perf_counter()
    qemu = subprocess.Popen(b.args, pass_fds=[s.fileno() for s in b.theirs],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for s in b.theirs:
        s.close()
    if qmp and variant == "exchange":
        qmp.sendall(b'{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n')
    readers = [threading.Thread(target=drain, args=(s,)) for s in b.ours]
    for r in readers:
        r.start()
    qemu.wait()
    took = (time.perf_counter() - start) * 1e6
    for s in b.ours:
        s.close()
    for r in readers:
        r.join()
    return took


def main():
    floor, accel, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    unikit = sys.argv[4] if len(sys.argv) > 4 else None
    args = base(floor, accel)
    names = {"raw": "baseline: floor image, raw QEMU command",
             "streams": "… with the console and the program's streams on sockets",
             "monitor": "… with the QMP monitor on a socket",
             "exchange": "… with the QMP monitor and its capabilities exchange at once",
             "control": "… with the control file on debugcon",
             "all": "… with all of unikit's devices"}
    if unikit:
        names["unikit"] = "… through `unikit run --rm`: the devices and unikit's own work"
    times = {v: [] for v in names}
    with tempfile.NamedTemporaryFile() as control:
        for _ in range(runs):
            for v in names:
                times[v].append(unikit_us(unikit, floor) if v == "unikit"
                                else boot_us(args, v, control.name))
    raw = statistics.median(times["raw"])
    for v, label in names.items():
        m = statistics.median(times[v])
        print(f"| {label} | {int(m)} | {m / raw:.2f}, {int(m - raw):+d} µs |")


if __name__ == "__main__":
    main()
