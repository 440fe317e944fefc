module keel/porcupinetimes

go 1.19

require github.com/anishathalye/porcupine v0.0.0

// scripts/porcupine-times.sh adds, in a scratch copy of this directory:
// replace github.com/anishathalye/porcupine => PORCUPINE_SRC_DIR
