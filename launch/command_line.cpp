#include "launch/command_line.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <type_traits>
#include <vector>

namespace slatetrain {

namespace {

// The part of CLI11's type name before the validators' descriptions ("N:>= 1" -> "N"), and
// those descriptions (the ranges).
std::string value_name(const CLI::Option* option) {
  const std::string full = option->get_type_name();
  return full.substr(0, full.find(':'));
}
std::vector<std::string> validator_descriptions(const CLI::Option* option) {
  const std::string full = option->get_type_name();
  std::vector<std::string> parts;
  for (size_t colon = full.find(':'); colon != std::string::npos;) {
    const size_t next = full.find(':', colon + 1);
    parts.push_back(full.substr(colon + 1, next == std::string::npos ? next : next - colon - 1));
    colon = next;
  }
  return parts;
}

// An option that takes every following word (--input A B C) rather than one per occurrence.
bool takes_many(const CLI::Option* option) {
  return option->get_expected_max() >= CLI::detail::expected_max_vector_size &&
         option->get_allow_extra_args();
}

// --help as this project's commands have always printed it: the usage line (required options
// and arguments spelt out), the description, the arguments and options (each with its range,
// default or "required" after the text), the footer.
class HelpFormatter : public CLI::Formatter {
 public:
  static constexpr size_t kNameWidth = 32;
  static constexpr size_t kDescriptionWidth = 64;

  HelpFormatter() {
    column_width(kNameWidth);
    label("Positionals", "arguments");
  }

  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
    std::ostringstream out;
    out << make_usage(app, app->get_name());
    const std::string description = app->get_description();
    if (!description.empty()) {
      out << "\n" << description;
      if (description.back() != '\n') out << "\n";
    }
    out << make_positionals(app) << make_option_groups(app);
    const std::string footer = app->get_footer();
    if (!footer.empty()) {
      out << "\n" << footer;
      if (footer.back() != '\n') out << "\n";
    }
    return out.str();
  }

  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::ostringstream out;
    out << "usage: " << name;
    bool optional_options = false;
    for (const CLI::Option* option : app->get_options()) {
      if (option->get_positional()) {
        out << " " << make_option_usage(option);
      }
    }
    for (const CLI::Option* option : app->get_options()) {
      if (option->get_positional()) continue;
      if (!option->get_required()) {
        optional_options = optional_options || option != app->get_help_ptr();
        continue;
      }
      out << " " << option->get_name(false, true) << make_option_opts(option);
    }
    if (optional_options) out << " [options]";
    out << "\n";
    return out.str();
  }

  std::string make_option_opts(const CLI::Option* option) const override {
    if (option->get_type_size() == 0 || option->get_positional()) return "";  // named already
    return " " + value_name(option) + (takes_many(option) ? "..." : "");
  }

  std::string make_option_usage(const CLI::Option* option) const override {
    const std::string text = option->get_name(true, false) + (takes_many(option) ? "..." : "");
    return option->get_required() ? text : "[" + text + "]";
  }

  std::string make_option_desc(const CLI::Option* option) const override {
    std::vector<std::string> details = validator_descriptions(option);
    if (option->get_required()) {
      details.push_back("required");
    } else if (!option->get_default_str().empty() && option->get_type_size() != 0) {
      details.push_back("default " + option->get_default_str());
    }
    if (option->get_expected_max() >= CLI::detail::expected_max_vector_size &&
        !option->get_allow_extra_args())
      details.push_back("repeatable");
    std::string text = option->get_description();
    if (details.empty()) return text;
    std::string joined = "(";
    for (size_t i = 0; i < details.size(); ++i) joined += (i == 0 ? "" : "; ") + details[i];
    joined += ")";
    // On the description's last line when it fits, else on a line of its own.
    const size_t last_line =
        text.size() - (text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    if (text.empty()) return joined;
    return text + (last_line + 1 + joined.size() <= kDescriptionWidth ? " " : "\n") + joined;
  }

  // The options of each group, the groups in the order they were declared.
  std::string make_option_groups(const CLI::App* app) const {
    std::ostringstream out;
    for (const std::string& group : app->get_groups()) {
      const std::vector<const CLI::Option*> options =
          app->get_options([&group](const CLI::Option* option) {
            return option->get_group() == group && option->nonpositional();
          });
      if (!group.empty() && !options.empty()) out << make_group(group, false, options);
    }
    return out.str();
  }
};

// CLI11's messages, said as sentences about the option: "--shards needs a value" rather than
// "--shards: 1 required N missing", "--gzip must be in [0, 9], got 12" rather than "--gzip:
// must be ..." (a validator's message follows the option's name).
std::string describe(const CLI::ParseError& error) {
  const std::string text = error.what();
  if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr &&
      text.find(": ") != std::string::npos)
    return text.substr(0, text.find(": ")) + " " + text.substr(text.find(": ") + 2);
  const std::string missing = " missing";
  const size_t colon = text.find(": ");
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr && colon != std::string::npos &&
      text.size() > missing.size() &&
      text.compare(text.size() - missing.size(), missing.size(), missing) == 0 &&
      text.find(" required ", colon) != std::string::npos)
    return text.substr(0, colon) + " needs a value";
  return text;
}

template <typename T>
std::string check_number_text(std::string& text) {
  if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) || *end != '\0')
      return "expects a number, got '" + text + "'";
    if (!std::isfinite(value)) return "expects a finite number, got '" + text + "'";
    return "";
  } else {
    const size_t start = !text.empty() && text[0] == '+' ? 1 : 0;
    const char* const first = text.data() + start;
    const char* const last = text.data() + text.size();
    T value{};
    const auto [stop, error] = std::from_chars(first, last, value, 10);
    if (error == std::errc::result_out_of_range && stop == last)
      return text + " is out of range (" + std::to_string(std::numeric_limits<T>::min()) + " to " +
             std::to_string(std::numeric_limits<T>::max()) + ")";
    if (error != std::errc() || stop != last || first == last)
      return std::string(std::is_unsigned_v<T> ? "expects a non-negative integer"
                                               : "expects an integer") +
             ", got '" + text + "'";
    text = std::to_string(value);  // CLI11 would read "010" as octal
    return "";
  }
}

}  // namespace

std::unique_ptr<CLI::App> make_command_line(const std::string& name,
                                            const std::string& description) {
  auto app = std::make_unique<CLI::App>(description, name);
  app->formatter(std::make_shared<HelpFormatter>());
  app->option_defaults()->group("options");
  // An option given twice takes its last value, as scripts that append to a command expect
  // (options of many values keep them all).
  app->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app->set_help_flag("-h,--help", "print this help and exit");
  app->allow_extras();
  return app;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  std::string problem;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::Success&) {
    return 0;
  } catch (const CLI::ParseError& error) {
    problem = describe(error);
  }
  // An unknown argument is reported first: it is often a misspelt option that would otherwise
  // be reported missing.
  for (const std::string& extra : app.remaining()) {
    if (extra == "--") continue;
    problem = extra.size() > 1 && extra[0] == '-' ? "unknown option '" + extra + "'"
                                                  : "unexpected argument '" + extra + "'";
    break;
  }
  if (problem.empty()) return std::nullopt;
  const std::string usage = HelpFormatter().make_usage(&app, app.get_name());
  std::fprintf(stderr, "%s: %s\n%s(`%s --help` describes every option)\n", app.get_name().c_str(),
               problem.c_str(), usage.c_str(), app.get_name().c_str());
  return 2;
}

template <typename T>
CLI::Validator number_text() {
  return CLI::Validator(check_number_text<T>, "", "number");
}
template CLI::Validator number_text<int>();
template CLI::Validator number_text<int64_t>();
template CLI::Validator number_text<uint64_t>();
template CLI::Validator number_text<double>();

CLI::Validator within(const NumberRange& range) {
  return CLI::Validator(
      [range](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0') return "expects a number, got '" + text + "'";
        if (range.contains(value)) return "";
        return "must be " + std::string(range.bounded_above() ? "in " : "") + range.text() +
               ", got " + text;
      },
      range.text(), "range");
}

CLI::Validator one_of(const std::vector<std::string>& names) {
  std::string listed;
  for (size_t i = 0; i < names.size(); ++i)
    listed += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return CLI::Validator(
      [names, listed](std::string& text) -> std::string {
        for (const std::string& name : names)
          if (text == name) return "";
        return "must be " + listed + ", not '" + text + "'";
      },
      listed, "one of");
}

}  // namespace slatetrain
