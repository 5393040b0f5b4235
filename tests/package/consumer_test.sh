#!/usr/bin/env bash
# The consumer test: uvmas as a user gets it. Installs this build into a
# temporary prefix, then builds docs/examples/*.cpp there as an outside CMake
# project (find_package(uvmas)) and the channel example with one bare g++ line
# from `pkg-config --cflags --libs uvmas`, and runs them.
#
#   consumer_test.sh BUILD_DIR SOURCE_DIR CXX [LAUNCHER [FLAGS]]
# FLAGS: compiler and linker flags the outside programs need as well (the
# sanitizers of a sanitized build).
set -euo pipefail
build="$1" src="$2" cxx="$3" launcher="${4:-}" flags_extra="${5:-}"
# A fixed place (kept after a failure) so that a compiler cache sees the same
# command lines every run.
work="$build/consumer-test"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_output() {  # expect_output NAME EXPECTED COMMAND...
  local name="$1" expected="$2"; shift 2
  local out
  out="$(timeout 60 "$@")" || fail "$name exited with status $?"
  [ "$out" = "$expected" ] || fail "$name printed:
$out
expected:
$expected"
  echo "$name: ok"
}

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "install"; }
for f in include/uvmas/version.hpp include/uvmas/framework/container.hpp bin/uvmas bin/uvmas-mosaik-roles; do
  [ -e "$prefix/$f" ] || fail "$f was not installed"
done
# The public headers name no third-party header (libuv, mbedTLS, ...).
if leaks="$(grep -rlE '#include <(uv\.h|uv/|mbedtls/|rapidjson/|msgpack|blosc)' "$prefix/include/uvmas")"; then
  fail "installed headers include a third-party header: $leaks"
fi
version="$("$prefix/bin/uvmas" --version 2>&1)" || fail "uvmas --version exited with status $?: $version"
[[ "$version" =~ ^uvmas\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "uvmas --version printed: $version"

step "find_package(uvmas) from an outside project"
mkdir -p "$work/app"
cat >"$work/app/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(uvmas_consumer LANGUAGES CXX)
find_package(uvmas 0.2 CONFIG REQUIRED)
file(GLOB examples "$src/docs/examples/*.cpp")
foreach(source \${examples})
  get_filename_component(name \${source} NAME_WE)
  add_executable(\${name} \${source})
  target_link_libraries(\${name} PRIVATE uvmas::uvmas)
endforeach()
# One room alone is enough for a program that only needs that room.
add_executable(channel_only "$src/docs/examples/channel.cpp")
target_link_libraries(channel_only PRIVATE uvmas::framework)
CMAKE
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
[ -n "$launcher" ] && gen+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
cmake -S "$work/app" -B "$work/app/build" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$flags_extra" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags_extra" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure"; }
cmake --build "$work/app/build" -j 2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }

bin="$work/app/build"
expect_output channel "ohai
cya" "$bin/channel"
expect_output channel_only "ohai
cya" "$bin/channel_only"
expect_output rpc "What’s 3 + 4? 7" "$bin/rpc"
# Port 0 (any free port), named HOST in the expected text.
expect_output agents "Ohai, I am TestAgent('tcp://HOST/0')
Ohai, I am TestAgent('tcp://HOST/1')
TestAgent('tcp://HOST/0') got 42 from TestAgentProxy('tcp://HOST/1')" \
  sh -c '"$1" tcp://127.0.0.1:0 | sed -E "s#tcp://127[.]0[.]0[.]1:[0-9]+/#tcp://HOST/#g"' sh "$bin/agents"
timeout 60 "$bin/tls" "$src/tests/data/tls" >"$work/tls.log" 2>&1 || { cat "$work/tls.log"; fail "tls exited with status $?"; }
echo "tls: ok"

step "pkg-config --cflags --libs uvmas and one g++ line"
export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name uvmas.pc)")"
flags="$(pkg-config --cflags --libs uvmas)"
echo "$cxx $src/docs/examples/channel.cpp -o channel $flags"
libdir="$(pkg-config --variable=libdir uvmas)"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"  # for a shared-library build
# shellcheck disable=SC2086
$launcher "$cxx" $flags_extra "$src/docs/examples/channel.cpp" -o "$work/channel-pc" $flags
expect_output "channel (pkg-config)" "ohai
cya" "$work/channel-pc"
rm -rf "$work"
echo "consumer test passed"
