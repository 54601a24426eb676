#!/usr/bin/env python3
"""Prints the failed tests of the TRX files in a folder: name, message and the top of the stack.

The test command runs it last, so a CI log that keeps only its tail still says what failed
(the console logger prints a failure where it happens, thousands of lines earlier).
"""
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
STACK_LINES = 8


def failures(trx_file):
    root = ElementTree.parse(trx_file).getroot()
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") != "Failed":
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
        yield result.get("testName"), result.get("duration"), message.strip(), stack.strip().splitlines()[:STACK_LINES]


def main(folder):
    found = 0
    for trx_file in sorted(pathlib.Path(folder).glob("*.trx")):
        for name, duration, message, stack in failures(trx_file):
            found += 1
            print(f"FAILED {name} ({duration})")
            for line in message.splitlines():
                print(f"    {line}")
            for line in stack:
                print(f"      {line.strip()}")
    print(f"{found} failed test(s) in {folder}")


if __name__ == "__main__":
    main(sys.argv[1])
