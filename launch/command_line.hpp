// The command-line parser of every `slatetrain` and `slateconvert` subcommand: a CLI::App
// (CLI11) declared once per command, from which both the parsing and --help are made, with the
// project's conventions on top: numbers are read whole in base 10 (no octal "010", no "12x", no
// overflow, no nan), ranges are NumberRange (as the configuration keys'), and every unusable
// argument is reported on stderr naming the option, with exit code 2.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "launch/number_range.hpp"

namespace slatetrain {

// The most --memory-mb accepted (slateconvert sessions, verify): 8 TiB, beyond any machine and
// far within int64 bytes.
constexpr double kMostMemoryMegabytes = 8 << 20;

// A command's parser. `name` is the command as typed ("slateconvert finn"); `description` the
// paragraphs that --help prints under the usage line. Set app->footer(...) for text after the
// options. Unknown arguments are collected (not thrown) so that they are reported first.
std::unique_ptr<CLI::App> make_command_line(const std::string& name,
                                            const std::string& description);

// Parses argv (argv[0] is the command's own name). Returns nothing when the command is to run,
// otherwise its exit code: 0 after --help (printed on stdout) or a flag that did its work,
// 2 after an unusable argument (the problem, naming the option, and the usage on stderr).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// A check of the whole text of a number option, before CLI11 converts it: base 10 only, the
// value must fit T (and be finite); the text is rewritten in canonical form.
template <typename T>
CLI::Validator number_text();

// The values a number option accepts; --help shows the range after the description.
CLI::Validator within(const NumberRange& range);

// A word among `names`; --help lists them, the error names them all ("must be a, b or c, not 'd'").
CLI::Validator one_of(const std::vector<std::string>& names);

// A number option of type T (int, int64_t, uint64_t or double) read with number_text<T>() and
// showing its default in --help. Add ->check(within(...)) for its range.
template <typename T>
CLI::Option* add_number_option(CLI::App& app, const std::string& name, T& target,
                               const std::string& description, const std::string& value_name) {
  return app.add_option(name, target, description)
      ->type_name(value_name)
      ->transform(number_text<T>())  // transform: it may rewrite the text; runs first
      ->capture_default_str();
}

}  // namespace slatetrain
