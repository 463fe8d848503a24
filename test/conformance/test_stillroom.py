"""jupyter_kernel_test's protocol suite against the Stillroom kernel.

Run by test/conformance/conformance.test.ts, which installs the kernelspec into a temporary
prefix and points JUPYTER_PATH at it. By hand (after `npm run build`):

    node dist/kernel/main.js install --prefix /tmp/sr
    JUPYTER_PATH=/tmp/sr/share/jupyter /usr/bin/python3 -m unittest -v test_stillroom

Every attribute that jupyter_kernel_test 0.4.5 reads is set: an unset one silently skips its
test, and conformance.test.ts fails on any skip.
"""

import os
import unittest

import jupyter_kernel_test as jkt


class StillroomKernelTests(jkt.KernelTests):
    kernel_name = os.environ.get("STILLROOM_KERNEL_NAME", "stillroom")

    # test_kernel_info
    language_name = "typescript"
    file_extension = ".ts"

    # test_execute_stdout / test_execute_stderr
    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'

    # test_completion: matches are compared as a set, exactly. Runtime completion answers with
    # member names and cursor_start at the partial name; cursor positions are code points, so the
    # Korean sample checks the UTF-16 conversion does not break the reply.
    completion_samples = [
        {"text": "Math.fl", "matches": {"floor"}},
        {"text": "display.mark", "matches": {"markdown"}},
        {"text": "const 한국어 = 1; Math.fl", "matches": {"floor"}},
        {"text": "cons"},
    ]

    # test_is_complete
    complete_code_samples = [
        "1",
        'console.log("hi")',
        "const typed: number = 1",
        "function f(x: number): number {\n  return x * 2;\n}",
        "for (let i = 0; i < 3; i++) {}",
        "await Promise.resolve(1)",
    ]
    incomplete_code_samples = [
        "function f(",
        "if (true) {",
        "const xs = [1, 2,",
        "`unterminated template",
        "class A {\n  x: number;",
    ]
    invalid_code_samples = [
        "1 +* 2",
        "const = 5",
        "let let = 1",
        "}",
        "foo(]",
    ]

    # test_pager: the reply must carry exactly one payload {source: "page", data: {"text/plain"...}}.
    # IPython's form: a cell that is `name?` pages the documentation of name.
    code_page_something = "Math.max?"

    # test_error: status error and exactly one iopub output, the error itself (no extra stderr).
    code_generate_error = 'throw new Error("boom")'

    # test_execute_result (and test_history, which executes these codes): text/plain compared
    # exactly, so no ANSI colours.
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "[1, 2, 3]", "result": "[ 1, 2, 3 ]"},
        {"code": "({ a: 1, b: 'two' })", "result": "{ a: 1, b: 'two' }"},
        {"code": "'hello'", "result": "'hello'"},
        {"code": "await Promise.resolve(5)", "result": "5"},
        {"code": "const typed: number = 3; typed + 1", "result": "4"},
        {
            "code": "({ [Symbol.for('Jupyter.display')]() { return { 'text/html': '<b>own</b>' }; } })",
            "mime": "text/html",
            "result": "<b>own</b>",
        },
    ]

    # test_display_data
    code_display_data = [
        {"code": "display.html('<b>bold</b>')", "mime": "text/html"},
        {"code": "display.markdown('# Title')", "mime": "text/markdown"},
        {"code": "display.svg('<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>')", "mime": "image/svg+xml"},
        {"code": "display.json({ a: 1 })", "mime": "application/json"},
        {"code": "await display.html('<i>awaited</i>')", "mime": "text/html"},
    ]

    # test_history: the glob must match exactly one of the codes above (search with unique=True
    # expects one entry, with n=3 three of them).
    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range", "search")

    # test_inspect
    code_inspect_sample = "Math.max"

    # test_clear_output
    code_clear_output = 'console.log("before"); display.clear()'


class EveryAttributeSet(unittest.TestCase):
    """Guards the suite itself: a newer jupyter_kernel_test may add a sample attribute, and an
    attribute left at its empty default skips a test without failing it."""

    def test_every_sample_attribute_is_overridden(self):
        base = jkt.KernelTests
        attributes = [
            name
            for name, value in vars(base).items()
            if not name.startswith("_") and not callable(value) and not isinstance(value, (classmethod, staticmethod))
        ]
        self.assertIn("code_page_something", attributes)
        missing = [name for name in attributes if name not in vars(StillroomKernelTests)]
        self.assertEqual(missing, [], "attributes of jupyter_kernel_test.KernelTests left at their defaults")
        empty = [name for name in attributes if not getattr(StillroomKernelTests, name)]
        self.assertEqual(empty, [], "attributes set to an empty value (their tests would be skipped)")


if __name__ == "__main__":
    unittest.main()
