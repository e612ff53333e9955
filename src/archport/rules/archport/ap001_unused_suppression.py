from archport.model import Confidence, Impact, Severity
from archport.rule import Rule


class UnusedSuppression(Rule):
    """A suppression comment that suppressed nothing.

    ## What it does
    Checks for `archport: ignore[CODE]` comments that did not suppress any finding of the
    codes they name, on their own line or the line after.

    ## Why is this a problem on ARM64?
    It is not a porting hazard itself: a stale suppression hides the next real finding that
    lands on that line, and tells readers that a hazard exists where none does.

    ## Example
    ```c
    int x = 1; /* archport: ignore[CC403] */
    ```

    Use instead:
    ```c
    int x = 1;
    ```

    ## Limitations
    Only codes of rules that ran in this scan are judged; a suppression naming a rule that
    was not selected is left alone.

    ## References
    - ruff's unused-noqa (RUF100) works the same way.
    """

    code = "AP001"
    name = "unused-suppression"
    summary = "Suppression comment that matched no finding"
    languages = frozenset({"c", "cpp", "asm"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    effort_minutes = 1
