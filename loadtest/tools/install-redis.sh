#!/usr/bin/env bash
# Debian's redis-server (/usr/bin/redis-server) for the live suite: the shared cache of several
# `next start` instances (deployment.cache "shared"). The driver starts its own on 127.0.0.1 with a
# scratch config and dir and stops it by pid; the system's own instance is stopped.
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/apt-install.sh" redis-server /usr/bin/redis-server --stop-service
