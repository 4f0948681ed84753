"""Lets PyPI's CUDA build of torch import and train on the CPU without the ~3 GB of nvidia-* wheels.

PyPI's Linux torch wheel links the CUDA libraries (libcudart.so.13, libcublas.so.13, ...) that its
nvidia-* / cuda-toolkit dependencies provide. `pip install --no-deps torch` skips those, and then
`import torch` fails to load the CUDA libraries even though CPU work never calls them. This script
builds tiny stand-ins with the same sonames, symbol versions and symbol names (every function
returns "no device", so `torch.cuda.is_available()` is False) and puts them in torch/lib, which
torch's own RPATH searches. Run with the venv's python after installing torch.
Usage: python cuda_stubs.py   (idempotent; prints what it built)
"""

import os
import re
import subprocess
import sys
import tempfile

# Symbol version node -> the library that defines it (what the real nvidia wheels would provide).
VERSION_LIBS = {
    "libcudart.so.13": "libcudart.so.13",
    "libcublas.so.13": "libcublas.so.13",
    "libcublasLt.so.13": "libcublasLt.so.13",
    "libcudnn.so.9": "libcudnn.so.9",
    "libcufft.so.12": "libcufft.so.12",
    "libcupti.so.13": "libcupti.so.13",
    "libcusolver.so.12": "libcusolver.so.12",
    "libcusparse.so.12": "libcusparse.so.12",
    "libnvrtc.so.13": "libnvrtc.so.13",
    "NVSHMEM": "libnvshmem_host.so.3",
}
# Unversioned symbols, by name prefix.
PREFIX_LIBS = [
    ("cuFile", "libcufile.so.0"),
    ("cusparseLt", "libcusparseLt.so.0"),
    ("nccl", "libnccl.so.2"),
    ("nvshmem", "libnvshmem_host.so.3"),
]
# cudaErrorNoDevice: device queries answer "no GPU", so torch stays on the CPU.
NO_DEVICE = 100


def undefined_symbols(path):
    out = subprocess.run(["readelf", "--dyn-syms", "-W", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[6] == "UND" and f[7] not in ("", "0"):
            yield f[3], int(f[2], 0) if f[2].startswith("0x") else int(f[2]), f[7]


def main():
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        sys.exit("torch is not installed in this interpreter")
    torch_dir = os.path.dirname(spec.origin)
    lib_dir = os.path.join(torch_dir, "lib")
    objects = [os.path.join(lib_dir, n) for n in os.listdir(lib_dir) if ".so" in n]
    objects += [os.path.join(torch_dir, n) for n in os.listdir(torch_dir) if n.endswith(".so")]

    needed = set()
    for obj in objects:
        dyn = subprocess.run(["readelf", "-d", obj], capture_output=True, text=True).stdout
        needed.update(re.findall(r"NEEDED.*\[(.+)\]", dyn))
    stub_libs = set(VERSION_LIBS.values()) | {lib for _, lib in PREFIX_LIBS}
    missing = sorted(n for n in needed & stub_libs if not os.path.exists(os.path.join(lib_dir, n)))
    if not missing:
        print("[cuda-stubs] nothing to do")
        return

    # lib -> {version or None -> {symbol: (type, size)}}
    plan = {lib: {} for lib in missing}
    for obj in objects:
        for typ, size, name in undefined_symbols(obj):
            sym, _, version = name.partition("@")
            version = version.lstrip("@") or None
            lib = VERSION_LIBS.get(version) if version else next((l for p, l in PREFIX_LIBS if sym.startswith(p)), None)
            if lib in plan:
                plan[lib].setdefault(version, {})[sym] = (typ, size)
    for versions in plan.values():
        # A version script cannot mix named and anonymous nodes; an unversioned reference binds to
        # the first named version as well.
        named = [v for v in versions if v]
        if None in versions and named:
            versions[named[0]].update(versions.pop(None))

    with tempfile.TemporaryDirectory() as tmp:
        for lib, versions in plan.items():
            c_lines = [f"/* stand-in for {lib}: no device */"]
            script = []
            for version, syms in versions.items():
                for sym, (typ, size) in sorted(syms.items()):
                    if typ == "OBJECT":
                        c_lines.append(f"char {sym}[{max(size, 1)}];")
                    else:
                        c_lines.append(f"long {sym}(void) {{ return {NO_DEVICE}; }}")
                names = "".join(f" {s};" for s in sorted(syms))
                script.append(f"{version} {{ global:{names} }};" if version else f"{{ global:{names} }};")
            src = os.path.join(tmp, "stub.c")
            ver = os.path.join(tmp, "stub.map")
            with open(src, "w") as f:
                f.write("\n".join(c_lines) + "\n")
            args = ["gcc", "-shared", "-fPIC", "-O0", "-w", f"-Wl,-soname,{lib}", "-o", os.path.join(lib_dir, lib), src]
            if any(v for v in versions):
                with open(ver, "w") as f:
                    f.write("\n".join(script) + "\n")
                args.insert(-1, f"-Wl,--version-script={ver}")
            subprocess.run(args, check=True)
            print(f"[cuda-stubs] {lib}: {sum(len(s) for s in versions.values())} symbols")


if __name__ == "__main__":
    main()
