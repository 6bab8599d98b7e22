"""Build real build artifacts for tests: class files, jars, wars, wheels, sdists, .pyc files."""

from __future__ import annotations

import io
import py_compile
import shutil
import struct
import subprocess
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from tests.helpers import TOKEN

V1_URL = f"https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi"
JAVA = f'package com.acme;\npublic class Zoho {{\n    public static final String URL = "{V1_URL}";\n}}\n'


def _utf8(text: str) -> bytes:
    data = text.encode()
    return b"\x01" + struct.pack(">H", len(data)) + data


def class_by_hand(constant: str) -> bytes:
    """A minimal valid class file (JVM spec ch. 4): `com/acme/Zoho` with one String constant."""
    pool = [
        _utf8("com/acme/Zoho"),  # 1
        b"\x07" + struct.pack(">H", 1),  # 2 Class
        _utf8("java/lang/Object"),  # 3
        b"\x07" + struct.pack(">H", 3),  # 4 Class
        _utf8(constant),  # 5
        b"\x08" + struct.pack(">H", 5),  # 6 String
        _utf8("URL"),  # 7
        _utf8("Ljava/lang/String;"),  # 8
        _utf8("ConstantValue"),  # 9
    ]
    field = struct.pack(">HHHH", 0x19, 7, 8, 1) + struct.pack(">HIH", 9, 2, 6)
    return (
        b"\xca\xfe\xba\xbe"
        + struct.pack(">HHH", 0, 52, len(pool) + 1)
        + b"".join(pool)
        + struct.pack(">HHHH", 0x21, 2, 4, 0)  # public super class, this, super, no interfaces
        + struct.pack(">H", 1)
        + field
        + struct.pack(">HH", 0, 0)  # no methods, no attributes
    )


def compiled_class(work: Path) -> bytes:
    """`com/acme/Zoho.class` holding the v1 URL: compiled by javac when a JDK is installed."""
    javac = shutil.which("javac")
    if javac is None:
        return class_by_hand(V1_URL)
    src = work / "src" / "com" / "acme" / "Zoho.java"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(JAVA, encoding="utf-8")
    subprocess.run([javac, "-d", str(work / "classes"), str(src)], check=True)
    return (work / "classes" / "com" / "acme" / "Zoho.class").read_bytes()


def compiled_pyc(work: Path, source: str) -> bytes:
    """A .pyc compiled by py_compile from source text."""
    src, pyc = work / "client.py", work / "client.pyc"
    src.write_text(source, encoding="utf-8")
    py_compile.compile(str(src), cfile=str(pyc), doraise=True)
    return pyc.read_bytes()


def zip_bytes(members: Mapping[str, bytes], *, stored: bool = False) -> bytes:
    """A zip archive (jar, war, wheel...) in memory."""
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def jar_bytes(work: Path, members: Mapping[str, bytes]) -> bytes:
    """A jar made by the JDK's `jar` tool when installed, else by zipfile."""
    jar = shutil.which("jar")
    if jar is None:
        return zip_bytes(members)
    root = work / "jar-root"
    for name, data in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    out = work / "built.jar"
    subprocess.run([jar, "cf", str(out), "-C", str(root), "."], check=True)
    return out.read_bytes()


def tar_bytes(members: Mapping[str, bytes], mode: str = "w:gz") -> bytes:
    """A tar archive (plain, gz, bz2 or xz) in memory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()
