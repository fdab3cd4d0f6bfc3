"""``--junit FILE``: a command's checks as a JUnit XML test report.

JUnit XML is the test report that GitLab (``artifacts:reports:junit``), Jenkins, Azure
DevOps and CircleCI all read and show per merge request or build. (GitLab's code-quality
JSON points at lines of source files, which an advval report has none of.) One
``testsuite`` per command, one ``testcase`` per check of :mod:`advval.cli._ci_outcome`: a
failed testcase is a finding the gate counts (one that an accepted-drift baseline accepts passes,
its finding written in its system-out); whether the job fails stays the exit status. The document
is deterministic: no timestamps or durations, so the same report gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ._ci_outcome import Outcome

#: characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    r"""``text`` with the characters XML 1.0 cannot hold written as ``\xNN`` / ``\uNNNN``.

    The XML writer escapes ``<``, ``&`` and quotes; a control character in a column name
    would still make the file unreadable, so it is spelled out instead.

    Examples
    --------
    >>> xml_text("a\x00b\tc")
    'a\\x00b\tc'
    """
    return _NOT_XML.sub(lambda m: repr(m.group(0))[1:-1], str(text))


def render_junit(outcome: Outcome) -> bytes:
    """The JUnit XML document of ``outcome``: one testsuite, its checks as testcases.

    Parameters
    ----------
    outcome : Outcome

    Returns
    -------
    bytes
        UTF-8 XML with a declaration.

    Examples
    --------
    >>> from advval.cli._ci_outcome import Check, Outcome
    >>> checks = (Check("verdict", "advval.drift", "drift detected", "drift"),
    ...           Check("column a", "advval.drift.columns"))
    >>> document = render_junit(Outcome("drift", "drift detected", True, "--fail-on-drift",
    ...                                 checks, (), (), (("auc", "0.8"),)))
    >>> root = ET.fromstring(document)
    >>> root.get("tests"), root.get("failures"), root[0].get("name")
    ('2', '1', 'advval drift')
    """
    failures = sum(check.failure is not None for check in outcome.checks)
    counts = {"tests": str(len(outcome.checks)), "failures": str(failures), "errors": "0",
              "skipped": "0"}
    root = ET.Element("testsuites", {"name": "advval", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": f"advval {outcome.command}", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("command", outcome.command),
        ("gate", outcome.gate or "none"),
        ("gate_failed", str(outcome.failed).lower()),
        *outcome.properties,
    ):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    for check in outcome.checks:
        case = ET.SubElement(
            suite, "testcase", {"name": xml_text(check.name), "classname": check.group}
        )
        if check.failure is not None:
            failure = ET.SubElement(
                case, "failure", {"message": xml_text(check.failure), "type": check.kind}
            )
            failure.text = xml_text(check.failure)
        if check.detail:
            ET.SubElement(case, "system-out").text = xml_text(check.detail)
    ET.SubElement(suite, "system-out").text = xml_text(outcome.verdict)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
