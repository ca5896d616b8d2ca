# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by integration tests that need a guest user space beyond the kit's tiny test init: an
# uncompressed busybox initramfs with a test-supplied /init script, plus host programs copied in
# with the shared libraries they need (so Debian's dynamically linked tools run in the guest).
# (tests/integration/netlib.bash builds its own fixed-purpose image the same way.)

# initrd_add_prog ROOT PROG [NAME]: copies PROG to ROOT/bin/NAME with its ELF interpreter and
# libraries (as ldd lists them) at their host paths.
initrd_add_prog() {
	local root=$1 prog=$2 name=${3:-$(basename "$2")} lib
	cp "$prog" "$root/bin/$name" || return 1
	# ldd lines: "libx.so => /path (addr)" or "/lib64/ld-linux-x86-64.so.2 (addr)"
	for lib in $(ldd "$prog" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

# build_busybox_initrd OUT INIT [PROG[=NAME] | file:HOSTPATH:GUESTPATH ...]: an uncompressed cpio
# (gunzip costs seconds of emulated guest kernel time) holding static busybox, the script file
# INIT as /init, each host PROG (with its libraries) as /bin/NAME, and plain files where told.
build_busybox_initrd() {
	local out=$1 init=$2 root p rc
	shift 2
	case $out in /*) ;; *) out=$PWD/$out ;; esac
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,etc}
	cp "$(command -v busybox)" "$root/bin/busybox" || { rm -rf "$root"; return 1; }
	for p in ${BUSYBOX_APPLETS:-$(busybox --list)}; do
		[ "$p" = busybox ] || ln -s busybox "$root/bin/$p"
	done
	cp "$init" "$root/init" && chmod +x "$root/init" || { rm -rf "$root"; return 1; }
	for p in "$@"; do
		if [ "${p#file:}" != "$p" ]; then
			p=${p#file:}
			mkdir -p "$root$(dirname "${p#*:}")" && cp "${p%%:*}" "$root${p#*:}" ||
				{ rm -rf "$root"; return 1; }
			continue
		fi
		initrd_add_prog "$root" "${p%%=*}" "$([ "${p#*=}" != "$p" ] && echo "${p#*=}")" ||
			{ rm -rf "$root"; return 1; }
	done
	(cd "$root" && find . | cpio -o -H newc --quiet >"$out")
	rc=$?
	rm -rf "$root"
	return $rc
}
