"""cheroot's TLS adapter, changed so a TLS handshake never stalls the accepting thread.

Framework-free: ``kustos serve`` (cli/https_server.py) builds the SSL context and hands it here.
"""

from __future__ import annotations

import contextlib
import socket
import ssl

from cheroot.ssl.builtin import BuiltinSSLAdapter

TLS_ENV = {"wsgi.url_scheme": "https", "HTTPS": "on"}

PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                     b"Content-Length: 29\r\n\r\nThis port speaks HTTPS only.\n")


class _WorkerHandshakeSocket(ssl.SSLSocket):
    """A TLS connection that shakes hands at its first read (in a worker thread). A failed
    handshake (a scanner, a timeout, plain HTTP sent to the HTTPS port) reads as a closed
    connection instead of an error with a traceback; plain HTTP gets a plain 400 answer."""

    _handshake_done = False

    def recv_into(self, buffer, nbytes=0, flags=0):
        if not self._handshake_done:
            self._handshake_done = True
            try:
                self.do_handshake()
            except ssl.SSLError as exc:
                if exc.reason == "HTTP_REQUEST":
                    with contextlib.suppress(OSError):
                        socket.socket.sendall(self, PLAIN_HTTP_ANSWER)
                return 0
            except OSError:
                return 0
        return super().recv_into(buffer, nbytes, flags)


class LazyHandshakeAdapter(BuiltinSSLAdapter):
    """cheroot's adapter shakes hands in its one accepting thread, so a client that connects and
    stays silent would stall every other connection for the socket timeout. Here the handshake
    happens in the worker thread that first reads the connection."""

    def __init__(self, context: ssl.SSLContext):  # noqa: D107  (no files: the context is loaded)
        self.certificate = self.private_key = self.certificate_chain = None
        self.ciphers = None
        self.private_key_password = None
        self._server_env = {}
        self.use(context)

    def use(self, context: ssl.SSLContext) -> None:
        """Serve new connections with ``context`` (a reloaded certificate); open ones keep theirs."""
        context.sslsocket_class = _WorkerHandshakeSocket
        self.context = context

    def wrap(self, sock):
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), dict(TLS_ENV)

    def get_environ(self, sock):
        return dict(TLS_ENV)
