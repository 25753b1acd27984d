"""Small helpers shared by the emulator tests."""

from __future__ import annotations

import io
from fractions import Fraction

import av


def probe_mp4(data: bytes) -> dict:
    """Decode an MP4 fully with PyAV: codec, pixel format, size, fps, frame count and duration."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = stream.average_rate or stream.guessed_rate
        duration = float(stream.duration * stream.time_base) if stream.duration else container.duration / 1e6
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "fps": Fraction(rate) if rate else None,
            "frames": frames,
            "duration": duration,
        }


def moov_before_mdat(data: bytes) -> bool:
    """True when the MP4 is 'faststart' (the moov box comes before mdat)."""
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def self_signed_cert(directory) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1/localhost (PEM cert and key paths), made with ``cryptography``
    (installed with google-genai's google-auth)."""
    import datetime
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sora-widgets emulator")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
