"""SIP2 (3M Standard Interchange Protocol 2.00): the message codec (codec.py, standard library
only), the server that kiosks and laptop lockers lend through (server.py, handlers.py), and the
client that checks library cards against the library's ILS (client.py)."""
