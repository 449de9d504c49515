package dev.unroll.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code unroll} command lines a Markdown page shows in its shell code blocks, split into
 * arguments the way bash would for the kinds of lines the docs hold: line continuations, quotes
 * and escapes, {@code $VAR} and {@code ${VAR}} from the page's earlier assignments (an unquoted
 * {@code $J} alone splits into words, as {@code J="java -jar target/unroll.jar"; $J train ...}
 * needs), pipes, {@code &&}, {@code ;}, {@code &}, comments and redirections. A command is
 * {@code java [JVM options] -jar .../unroll.jar ARGS}, {@code unroll ARGS} or {@code $J ARGS}.
 */
final class ShownCommands {
    /** One command line of a page: where it starts and the arguments after the jar. */
    record Shown(Path page, int line, List<String> args) {
        String where() {
            return page + ":" + line;
        }
    }

    private static final Set<String> SHELL_BLOCKS = Set.of("", "bash", "sh", "shell");

    private ShownCommands() {
    }

    static List<Shown> in(Path page) throws IOException {
        return in(page, Files.readAllLines(page));
    }

    static List<Shown> in(Path page, List<String> lines) {
        List<Shown> found = new ArrayList<>();
        Map<String, String> vars = new HashMap<>();
        boolean inBlock = false;
        boolean shell = false;
        for (int k = 0; k < lines.size(); k++) {
            String trimmed = lines.get(k).strip();
            if (trimmed.startsWith("```")) {
                inBlock = !inBlock;
                shell = inBlock && SHELL_BLOCKS.contains(trimmed.substring(3).strip());
                continue;
            }
            if (!shell) {
                continue;
            }
            int start = k;
            StringBuilder logical = new StringBuilder(lines.get(k));
            while (endsWithContinuation(logical) && k + 1 < lines.size()) {
                logical.setLength(logical.length() - 1);
                logical.append(' ').append(lines.get(++k));
            }
            for (List<String> words : split(logical.toString(), vars)) {
                List<String> args = unrollArgs(words, vars);
                if (args != null) {
                    found.add(new Shown(page, start + 1, args));
                }
            }
        }
        return found;
    }

    private static boolean endsWithContinuation(CharSequence line) {
        int backslashes = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    /**
     * The arguments of an unroll command, or null when the words are another command. Leading
     * assignments are recorded in {@code vars} when they stand alone (or follow {@code export}).
     */
    private static List<String> unrollArgs(List<String> words, Map<String, String> vars) {
        int first = 0;
        while (first < words.size() && isAssignment(words.get(first))) {
            first++;
        }
        boolean export = first < words.size() && words.get(first).equals("export");
        if (first == words.size() || export) {
            for (String w : words.subList(export ? first + 1 : 0, words.size())) {
                if (isAssignment(w)) {
                    int eq = w.indexOf('=');
                    vars.put(w.substring(0, eq), w.substring(eq + 1));
                }
            }
            return null;
        }
        List<String> command = words.subList(first, words.size());
        String head = command.get(0);
        if (head.equals("unroll") || head.equals("$J")) {
            return List.copyOf(command.subList(1, command.size()));
        }
        if (head.equals("java")) {
            int jar = command.indexOf("-jar");
            if (jar > 0 && jar + 1 < command.size() && command.get(jar + 1).endsWith("unroll.jar")) {
                return List.copyOf(command.subList(jar + 2, command.size()));
            }
        }
        return null;
    }

    private static boolean isAssignment(String word) {
        return word.matches("[A-Za-z_][A-Za-z0-9_]*=.*");
    }

    /** One shell line as its simple commands, each a list of words after quote removal and expansion. */
    static List<List<String>> split(String line, Map<String, String> vars) {
        return new Lexer(line, vars).run();
    }

    private static final class Lexer {
        private final String s;
        private final Map<String, String> vars;
        private final List<List<String>> commands = new ArrayList<>();
        private List<String> words = new ArrayList<>();
        private final StringBuilder word = new StringBuilder();
        private boolean inWord;
        private boolean dropNextWord;
        private int i;

        Lexer(String s, Map<String, String> vars) {
            this.s = s;
            this.vars = vars;
        }

        List<List<String>> run() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    endWord();
                    i++;
                } else if (c == '#' && !inWord) {
                    break;
                } else if (c == '\'') {
                    int close = s.indexOf('\'', i + 1);
                    close = close < 0 ? s.length() : close;
                    word.append(s, i + 1, close);
                    inWord = true;
                    i = close + 1;
                } else if (c == '"') {
                    doubleQuoted();
                } else if (c == '\\') {
                    if (i + 1 < s.length()) {
                        word.append(s.charAt(i + 1));
                    }
                    inWord = true;
                    i += 2;
                } else if (c == '$') {
                    dollar(true);
                } else if (c == '|' || c == '&' || c == ';' || c == '(' || c == ')') {
                    endWord();
                    endCommand();
                    i++;
                } else if (c == '>' || c == '<') {
                    redirection();
                } else {
                    word.append(c);
                    inWord = true;
                    i++;
                }
            }
            endWord();
            endCommand();
            return commands;
        }

        private void doubleQuoted() {
            inWord = true;
            i++;
            while (i < s.length() && s.charAt(i) != '"') {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length() && "\"\\$`".indexOf(s.charAt(i + 1)) >= 0) {
                    word.append(s.charAt(i + 1));
                    i += 2;
                } else if (c == '$') {
                    dollar(false);
                } else {
                    word.append(c);
                    i++;
                }
            }
            i++;
        }

        /** {@code $(...)} kept as written; {@code $NAME} or {@code ${NAME}} expanded when the page set it. */
        private void dollar(boolean unquoted) {
            inWord = true;
            if (s.startsWith("$(", i)) {
                int depth = 0;
                int start = i++;
                do {
                    char c = s.charAt(i);
                    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                    i++;
                } while (i < s.length() && depth > 0);
                word.append(s, start, i);
                return;
            }
            boolean braced = s.startsWith("${", i);
            int nameStart = i + (braced ? 2 : 1);
            int end = nameStart;
            while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) {
                end++;
            }
            String name = s.substring(nameStart, end);
            int after = braced && end < s.length() && s.charAt(end) == '}' ? end + 1 : end;
            String value = vars.get(name);
            if (name.isEmpty() || value == null) {
                word.append(s, i, after);
            } else if (unquoted && word.length() == 0 && (after == s.length() || " \t|&;()<>".indexOf(s.charAt(after)) >= 0)) {
                // an unquoted expansion standing alone is split into words
                List<String> fields = new ArrayList<>(Arrays.asList(value.strip().split("\\s+")));
                String last = fields.remove(fields.size() - 1);
                fields.forEach(this::addWord);
                word.append(last);
            } else {
                word.append(value);
            }
            i = after;
        }

        /** {@code > F}, {@code 2>&1}, {@code < F}: left out, with their target. */
        private void redirection() {
            if (inWord && word.toString().matches("\\d+")) {
                word.setLength(0);
                inWord = false;
            }
            endWord();
            i++;
            if (i < s.length() && s.charAt(i) == '>') {
                i++;
            }
            if (i < s.length() && s.charAt(i) == '&') {
                i++;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                return;
            }
            dropNextWord = true;
        }

        private void endWord() {
            if (inWord) {
                if (dropNextWord) {
                    dropNextWord = false;
                } else {
                    words.add(word.toString());
                }
            }
            word.setLength(0);
            inWord = false;
        }

        private void addWord(String w) {
            words.add(w);
        }

        private void endCommand() {
            if (!words.isEmpty()) {
                commands.add(words);
            }
            words = new ArrayList<>();
        }
    }
}
