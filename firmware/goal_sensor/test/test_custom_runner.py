"""PlatformIO's `pio test -e native` runs the same host tests as test/run.

The host tests need no PlatformIO package (no Unity, no toolchain download): this runner lets
test/run build them with the host's g++ and reports its result to PlatformIO.
"""

import pathlib
import subprocess

from platformio.public import TestCase, TestRunnerBase, TestStatus

RUN = pathlib.Path(__file__).with_name("run")


class CustomTestRunner(TestRunnerBase):
    def stage_building(self):
        """test/run builds with g++ itself."""

    def stage_uploading(self):
        """Host tests: nothing to upload."""

    def stage_testing(self):
        result = subprocess.run([str(RUN)], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            if line.startswith("FAIL "):
                self.test_suite.add_case(
                    TestCase(name=line[5:], status=TestStatus.FAILED, stdout=result.stdout)
                )
        status = TestStatus.PASSED if result.returncode == 0 else TestStatus.FAILED
        self.test_suite.add_case(
            TestCase(name="goal_core", status=status, stdout=result.stdout + result.stderr)
        )
