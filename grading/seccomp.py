"""A seccomp filter that takes the kernel keyring away from every graded kernel.

Linux's keyrings are not namespaced: a key a kernel adds to its user or session keyring is there
for the next process of the same uid, whatever its sandbox. Docker's default profile blocks these
calls for the same reason. The filter answers `add_key`, `request_key` and `keyctl` with EPERM (on
x86-64, its 32-bit entry point and the x32 ABI, and on arm64) and allows everything else. It is a
classic BPF program, installed by the zygote's child in the kernel (`install`, after
PR_SET_NO_NEW_PRIVS) or handed to bubblewrap (`--seccomp FD`, from the file `write` makes).
"""
import ctypes
import errno
import struct

# The syscalls denied, per audit architecture (linux/audit.h): add_key, request_key, keyctl.
DENIED = {
    0xC000003E: (248, 249, 250),   # AUDIT_ARCH_X86_64
    0x40000003: (286, 287, 288),   # AUDIT_ARCH_I386 (int 0x80 from a 64-bit process)
    0xC00000B7: (217, 218, 219),   # AUDIT_ARCH_AARCH64
}
X32_BIT = 0x40000000               # x32 system calls on x86-64: denied as a whole

_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_NR, _ARCH = 0, 4                  # offsets in struct seccomp_data
RET_ALLOW = 0x7FFF0000
RET_DENY = 0x00050000 | errno.EPERM   # SECCOMP_RET_ERRNO | EPERM


def program():
    """The filter as bytes: a list of struct sock_filter {u16 code; u8 jt, jf; u32 k}."""
    code = [(_LD_W_ABS, 0, 0, _ARCH)]
    deny_jumps = []                # (index of a jump, "jt" or "jf") that lead to the final deny

    def to_deny(op, k):
        deny_jumps.append(len(code))
        code.append((op, None, 0, k))

    for arch, numbers in DENIED.items():
        block = 2 + len(numbers) + (arch == 0xC000003E)      # ld nr, [x32], checks, ret allow
        code.append((_JEQ_K, 0, block, arch))                # not this architecture: skip its block
        code.append((_LD_W_ABS, 0, 0, _NR))
        if arch == 0xC000003E:
            to_deny(_JGE_K, X32_BIT)
        for number in numbers:
            to_deny(_JEQ_K, number)
        code.append((_RET_K, 0, 0, RET_ALLOW))
        code.append((_LD_W_ABS, 0, 0, _ARCH))                # reload for the next comparison
    code[-1] = (_RET_K, 0, 0, RET_ALLOW)                      # an unknown architecture: allowed
    deny = len(code)
    code.append((_RET_K, 0, 0, RET_DENY))
    for index in deny_jumps:
        op, _, jf, k = code[index]
        offset = deny - index - 1
        assert offset < 256
        code[index] = (op, offset, jf, k)
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def write(path):
    """Write the filter for bubblewrap's `--seccomp FD` and return `path`."""
    with open(path, "wb") as out:
        out.write(program())
    return path


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


def install():
    """Install the filter in this process (inherited by its children); needs PR_SET_NO_NEW_PRIVS
    or CAP_SYS_ADMIN. Raises OSError if the kernel refuses it."""
    data = program()
    buffer = ctypes.create_string_buffer(data, len(data))
    prog = _SockFprog(len(data) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {errno.errorcode.get(err, err)}")
