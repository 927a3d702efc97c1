#!/usr/bin/env bash
# Debian's nginx (/usr/sbin/nginx) for the live suite: a reverse proxy in front of `next start`
# that writes the access log isrsim reads. Tests start it on 127.0.0.1 with a config of their
# own, in the foreground, and stop it by pid; the system's own instance is stopped.
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/apt-install.sh" nginx /usr/sbin/nginx --stop-service
