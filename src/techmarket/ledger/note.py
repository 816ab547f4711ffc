"""C2SP signed notes with Ed25519 keys (https://c2sp.org/signed-note)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space


class NoteError(ValueError):
    pass


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"invalid key name {name!r}")


@dataclass(frozen=True)
class Verifier:
    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hash hex>+<base64(0x01 || public key)>``."""
        try:
            name, hash_hex, encoded = vkey.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            key_hash = bytes.fromhex(hash_hex)
        except (ValueError, binascii.Error):
            raise NoteError("malformed verifier key") from None
        _check_name(name)
        if raw[:1] != ED25519 or len(raw) != 33:
            raise NoteError("verifier key is not an Ed25519 key")
        if len(hash_hex) != 8 or _key_hash(name, raw[1:]) != key_hash:
            raise NoteError("verifier key hash does not match the key")
        return cls(name, key_hash, Ed25519PublicKey.from_public_bytes(raw[1:]))

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    key_hash: bytes
    private_key: Ed25519PrivateKey

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hash hex>+<base64(0x01 || seed)>``."""
        try:
            private, key, name, hash_hex, encoded = skey.strip().split("+", 4)
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError("malformed signer key") from None
        if (private, key) != ("PRIVATE", "KEY") or raw[:1] != ED25519 or len(raw) != 33:
            raise NoteError("not an Ed25519 signer key")
        _check_name(name)
        private_key = Ed25519PrivateKey.from_private_bytes(raw[1:])
        signer = cls(name, _key_hash(name, _public_bytes(private_key)), private_key)
        if hash_hex != signer.key_hash.hex():
            raise NoteError("signer key hash does not match the key")
        return signer

    @classmethod
    def generate(cls, name: str) -> Signer:
        _check_name(name)
        private_key = Ed25519PrivateKey.generate()
        return cls(name, _key_hash(name, _public_bytes(private_key)), private_key)

    @property
    def skey(self) -> str:
        seed = self.private_key.private_bytes_raw()
        encoded = base64.b64encode(ED25519 + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_hash.hex()}+{encoded}"

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(ED25519 + _public_bytes(self.private_key)).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    def sign(self, text: str) -> str:
        """The signed note: ``text``, a blank line, and this key's signature line."""
        if not text.endswith("\n"):
            raise NoteError("note text must end with a newline")
        signature = self.private_key.sign(text.encode())
        encoded = base64.b64encode(self.key_hash + signature).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {encoded}\n"


def _public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def open_note(note: str, verifier: Verifier) -> str:
    """Return the text of ``note`` if ``verifier`` signed it; other keys' lines are ignored."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("malformed signed note")
    text += "\n"
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed signature line")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError("malformed signature") from None
        if len(raw) < 5:
            raise NoteError("malformed signature")
        if name == verifier.name and raw[:4] == verifier.key_hash:
            if verifier.verify(text.encode(), raw[4:]):
                return text
            raise NoteError(f"invalid signature by {name}")
    raise NoteError(f"note is not signed by {verifier.name}")
