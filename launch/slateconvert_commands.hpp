// The subcommands of `slateconvert`, one file each. Each takes the arguments after its own
// name, prints its --help, and returns the process exit code (errors throw slatetrain::Error).
#pragma once

namespace slatetrain {

// slateconvert synth --output DIR --users N --items M --seed S [--int64] [--stored] ...
int synth_command(int argc, char** argv);
// slateconvert finn --input DIR --output DIR --shards N [--force] [--strict] ...
int finn_command(int argc, char** argv);
// slateconvert sessions --format F --input PATH... --output DIR --shards N [--force] ...
int sessions_command(int argc, char** argv);
// slateconvert verify --input DIR --output DIR
int verify_command(int argc, char** argv);
// slateconvert check DIR [--quiet]
int check_command(int argc, char** argv);
// slateconvert inspect DIR
int inspect_command(int argc, char** argv);

}  // namespace slatetrain
