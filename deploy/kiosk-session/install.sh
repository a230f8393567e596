#!/bin/sh
# Install the desk unit's graphical screen on Raspberry Pi OS Lite (Bookworm), as root,
# after the software step of docs/operations.md (Khidmat in /opt/khidmat, user khidmat):
# cage (Wayland kiosk compositor), Chromium, the Noto Arabic-script fonts and a monospace
# fallback, libfribidi0 (Pillow shapes the printed receipt's Urdu with it), the PAM session, the font preference and the two units. Safe to run again.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
deploy="$(dirname "$here")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Raspberry Pi OS calls the browser chromium-browser; Debian calls it chromium
browser=chromium
if ! apt-cache show chromium >/dev/null 2>&1; then browser=chromium-browser; fi
apt-get install -y -qq --no-install-recommends cage "$browser" fonts-noto-core \
    fonts-dejavu-core fontconfig libfribidi0
install -m 0644 "$here/pam-khidmat-kiosk" /etc/pam.d/khidmat-kiosk
install -m 0644 "$here/60-khidmat-urdu.conf" /etc/fonts/conf.d/60-khidmat-urdu.conf
fc-cache -f >/dev/null
chmod 0755 "$here/browser.sh" "$here/wait-for-kiosk.sh"
usermod -a -G video,render,input khidmat
install -m 0644 "$deploy/khidmat-kiosk-serve.service" "$deploy/khidmat-kiosk-session.service" \
    /etc/systemd/system/
systemctl daemon-reload
# the desk's screen replaces the text console on tty1
systemctl disable --now khidmat-kiosk.service getty@tty1.service 2>/dev/null || true
systemctl set-default graphical.target
systemctl enable --now khidmat-kiosk-serve.service khidmat-kiosk-session.service
# check the fonts the screen needs are there (heh goal, yeh barree, Urdu full stop)
for code in 06C1 06D2 06D4 FBA6 FBAE; do
    if [ -z "$(fc-list ":charset=$code" family)" ]; then
        echo "install.sh: no font draws U+$code; Urdu will show boxes" >&2
        exit 1
    fi
done
echo "desk screen installed: cage + $browser on tty1, kiosk on 127.0.0.1:8080"
