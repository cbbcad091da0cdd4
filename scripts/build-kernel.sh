#!/usr/bin/env bash
# Build a Linux 6.1 kernel (Debian's linux-source-6.1) from a Volt kconfig fragment.
#
#   scripts/build-kernel.sh NAME        NAME = guest | host (scripts/kernel/NAME.config)
#
# Output goes to ${VOLT_CACHE:-$HOME/.cache/volt}/kernel-NAME-HASH/ (vmlinux, bzImage,
# config, build.log; the source tree in src/). HASH covers the fragments, their
# patches, the linux-source package version and this script, so a kernel is rebuilt
# only when one of them changes. stdout: the paths of vmlinux, bzImage and, on the
# last line, the directory. Progress and errors go to stderr.
#
# A fragment may start from another one with a comment line "# volt-base: FILE"
# (FILE relative to scripts/kernel/); the base is merged first, later lines win.
# It may ask for a source patch with "# volt-patch: FILE" lines (FILE relative to
# scripts/kernel/, applied with patch -p1 in the order of the chain); a patch that
# adds a Kconfig option is then checked like any other option the fragment sets.
#
# Environment: VOLT_CACHE (cache root), VOLT_JOBS (make -j, default nproc),
# VOLT_KEEP_OLD_KERNELS=1 (do not delete older kernel-NAME-* directories).
set -euo pipefail

PKG=linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
SELF=$(readlink -f "${BASH_SOURCE[0]}")
FRAG_DIR=$(dirname "$SELF")/kernel

log() { printf 'build-kernel: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	echo "usage: $0 NAME   (NAME: one of: $(cd "$FRAG_DIR" && ls ./*.config | sed 's|./||; s|\.config$||' | tr '\n' ' '))" >&2
	exit 2
}

check_deps() {
	local missing=() tool
	[[ -r $TARBALL ]] || missing+=("$PKG ($TARBALL)")
	for tool in make gcc bc flex bison xz tar perl sha256sum flock patch; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	[[ -e /usr/include/libelf.h ]] || missing+=("libelf-dev")
	[[ -e /usr/include/openssl/opensslv.h ]] || missing+=("libssl-dev")
	((${#missing[@]} == 0)) && return 0
	log "missing build dependencies: ${missing[*]}"
	log "run the project's install script (scripts/install-deps.sh), or:"
	log "  apt-get install $PKG bc flex bison libelf-dev libssl-dev patch build-essential"
	exit 1
}

# Print the fragment chain for NAME, base first (follows "# volt-base:" lines).
fragment_chain() {
	local file=$1 base depth=${2:-0}
	((depth < 8)) || die "volt-base chain too deep at $file"
	[[ -r $file ]] || die "no such fragment: $file"
	base=$(sed -n 's/^# volt-base:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$file" | head -n1)
	[[ -z $base ]] || fragment_chain "$FRAG_DIR/$base" $((depth + 1))
	echo "$file"
}

# Print the patches the fragments ask for ("# volt-patch: FILE"), in chain order.
fragment_patches() {
	local file patch
	for file in "$@"; do
		while read -r patch; do
			echo "$FRAG_DIR/$patch"
		done < <(sed -n 's/^# volt-patch:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$file")
	done
}

# The options the fragments ask for, one "SYMBOL<TAB>VALUE" per line, later fragments
# winning; VALUE "n" stands for "# CONFIG_X is not set".
wanted_options() {
	cat "$@" | sed -n \
		-e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1\t\2/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1\tn/p' |
		awk -F'\t' '{ v[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
			END { for (i = 0; i < n; i++) print order[i] "\t" v[order[i]] }'
}

# Fail, listing them, if options the fragments ask for are not in .config as asked.
verify_config() {
	local config=$1; shift
	local bad
	bad=$(wanted_options "$@" | awk -F'\t' -v cfg="$config" '
		BEGIN {
			while ((getline line < cfg) > 0) {
				if (match(line, /^CONFIG_[A-Za-z0-9_]*=/))
					have[substr(line, 1, RLENGTH - 1)] = substr(line, RLENGTH + 1)
			}
		}
		{
			got = ($1 in have) ? have[$1] : "n"
			if (got != $2) printf "  %s: wanted %s, got %s\n", $1, $2, got
		}')
	[[ -z $bad ]] && return 0
	log "these fragment options did not survive 'make olddefconfig'"
	log "(a dependency is missing, or the option does not exist in this kernel):"
	printf '%s\n' "$bad" >&2
	return 1
}

# extract SRC VERSION PATCH...: a fresh tree of the package at VERSION with the
# patches applied. The marker is written last, so a tree left by a failed
# extraction or patch is made again next time.
extract() {
	local src=$1 version=$2 patch; shift 2
	log "extracting $TARBALL into $src"
	rm -rf "$src" && mkdir -p "$src"
	tar -xJf "$TARBALL" -C "$src" --strip-components=1
	for patch in "$@"; do
		log "applying ${patch#"$FRAG_DIR"/}"
		patch -d "$src" -p1 --forward --batch --quiet <"$patch" >&2 ||
			die "${patch#"$FRAG_DIR"/} does not apply to $PKG $version"
	done
	touch "$src/.volt-extracted"
}

build() {
	local name=$1 dir=$2; shift 2
	local src=$dir/src jobs=${VOLT_JOBS:-$(nproc)} start=$SECONDS
	local -a kmake=(make -C "$src" ARCH=x86_64)

	log "configuring $name: tinyconfig + ${*##*/}"
	{
		"${kmake[@]}" tinyconfig
		(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$@")
		"${kmake[@]}" olddefconfig
	} >"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; die "configuration failed (see $dir/build.log)"; }
	verify_config "$src/.config" "$@" || die "kernel config for '$name' is not what the fragments ask for"

	log "building vmlinux bzImage with -j$jobs (log: $dir/build.log)"
	"${kmake[@]}" -j"$jobs" vmlinux bzImage >>"$dir/build.log" 2>&1 ||
		{ tail -n 30 "$dir/build.log" >&2; die "kernel build failed (see $dir/build.log)"; }

	cp "$src/vmlinux" "$dir/vmlinux"
	cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
	cp "$src/.config" "$dir/config"
	echo "$((SECONDS - start))" >"$dir/build-seconds"
	touch "$dir/.done"
	log "built $name in $((SECONDS - start)) s"
}

prune_old() {
	local name=$1 keep=$2 old
	[[ ${VOLT_KEEP_OLD_KERNELS:-0} == 1 ]] && return 0
	for old in "$CACHE"/kernel-"$name"-*; do
		[[ -d $old && $old != "$keep" ]] || continue
		# Skip a tree another build holds the lock on.
		(flock -n 9 && rm -rf "$old") 9>"$old.lock" 2>/dev/null && rm -f "$old.lock" &&
			log "removed old kernel tree $old" || true
	done
}

main() {
	(($# == 1)) || usage
	local name=$1
	[[ $name =~ ^[A-Za-z0-9_-]+$ && -r $FRAG_DIR/$name.config ]] || usage
	check_deps

	local -a frags patches
	local version key dir patch
	mapfile -t frags < <(fragment_chain "$FRAG_DIR/$name.config")
	mapfile -t patches < <(fragment_patches "${frags[@]}")
	for patch in "${patches[@]}"; do
		[[ -r $patch ]] || die "a fragment of '$name' asks for a patch that does not exist: $patch"
	done
	version=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null) ||
		die "$PKG is not installed (dpkg-query); run the project's install script"
	key=$( { cat "${frags[@]}" "${patches[@]}"; echo "$PKG $version"; cat "$SELF"; } | sha256sum | cut -c1-16)
	CACHE=${VOLT_CACHE:-$HOME/.cache/volt}
	dir=$CACHE/kernel-$name-$key
	mkdir -p "$dir"

	exec 9>"$dir.lock"
	flock 9 # one build per tree; a concurrent caller waits, then reuses it
	if [[ -e $dir/.done ]]; then
		log "up to date: $dir"
	else
		[[ -e $dir/src/.volt-extracted ]] || extract "$dir/src" "$version" "${patches[@]}"
		build "$name" "$dir" "${frags[@]}"
	fi
	exec 9>&-
	prune_old "$name" "$dir"

	echo "$dir/vmlinux"
	echo "$dir/bzImage"
	echo "$dir"
}

main "$@"
