"""An unprivileged user made for a test module, for rootless use of swrun (directly, under
podman and buildah). useradd writes its /etc/subuid and /etc/subgid ranges; the user, its
home, its ranges and its XDG_RUNTIME_DIR are removed afterwards, and `leftover_processes`
ends what the user still runs (ours: the user exists only for the test).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

SUBID_FILES = ("/etc/subuid", "/etc/subgid")


class UnprivilegedUser:
    def __init__(self, name: str):
        self.name = name
        self.made = False
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, timeout=60, capture_output=True)
            self.made = True
        pw = pwd.getpwnam(name)
        self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, Path(pw.pw_dir)
        self.xdg = Path(f"/run/user/{self.uid}")
        self.xdg_made = not self.xdg.exists()
        self.xdg.mkdir(parents=True, exist_ok=True)
        os.chown(self.xdg, self.uid, self.gid)
        self.xdg.chmod(0o700)
        self.env = {"HOME": str(self.home), "USER": name, "LOGNAME": name,
                    "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "XDG_RUNTIME_DIR": str(self.xdg)}

    def subid_start(self, file: str) -> int:
        for line in Path(file).read_text().splitlines():
            f = line.split(":")
            if f[0] == self.name and len(f) == 3:
                return int(f[1])
        raise AssertionError(f"useradd wrote no {file} range for {self.name}")

    def run(self, argv, *, timeout=60, cwd=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw):
        return subprocess.run([str(a) for a in argv], user=self.uid, group=self.gid, extra_groups=[],
                              env=self.env, cwd=cwd or self.home, stdin=subprocess.DEVNULL, stdout=stdout,
                              stderr=stderr, text=True, timeout=timeout, **kw)

    def give(self, path: Path) -> Path:
        subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", str(path)], check=True, timeout=60)
        return path

    def install(self, binary: str) -> str:
        """A copy the user can execute: the build tree's parents may be closed to others."""
        copy = self.home / "bin" / os.path.basename(binary)
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(binary, copy)
        copy.chmod(0o755)
        self.give(copy.parent)
        return str(copy)

    def leftover_processes(self) -> list[str]:
        """What the user still runs, killed (zombies are dead already: this sandbox's PID 1
        reaps them late)."""
        left = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                st = os.stat(f"/proc/{entry}")
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                zombie = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            except (OSError, IndexError):
                continue
            if st.st_uid == self.uid and not zombie:
                left.append(f"{entry}: {cmd}")
                try:
                    os.kill(int(entry), 9)
                except OSError:
                    pass
        return left

    def remove(self) -> list[str]:
        left = self.leftover_processes()
        # Files the user's namespaces made under subordinate IDs are not the user's: root removes them.
        if self.xdg_made:
            shutil.rmtree(self.xdg, ignore_errors=True)
        if self.made:
            subprocess.run(["userdel", "-r", self.name], capture_output=True, timeout=60)
            shutil.rmtree(self.home, ignore_errors=True)
            for f in SUBID_FILES:
                lines = Path(f).read_text().splitlines(keepends=True)
                kept = [l for l in lines if not l.startswith(f"{self.name}:")]
                if kept != lines:
                    Path(f).write_text("".join(kept))
        return left
