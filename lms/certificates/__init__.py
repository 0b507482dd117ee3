"""Rendering of issued certificates: verification codes, the PDF with its QR code, Open Badges."""
