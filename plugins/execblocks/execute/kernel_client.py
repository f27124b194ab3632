"""The kernel client the engine's kernel manager hands out: jupyter_client's, ready as soon
as the kernel has answered.

jupyter_client's `wait_for_ready` asks for kernel_info until the kernel replies and one
IOPub message shows that channel is connected, then reads IOPub until 0.2 s pass without
a message: 0.2 s of every kernel start spent idle (a third of a resumed run's start here).
Nothing needs that silence: nbclient takes a cell's outputs only from the messages whose
parent is that cell's request, so a status message left on IOPub is never a cell's output.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client import protocol_version_info
from jupyter_client.asynchronous import AsyncKernelClient


class PromptKernelClient(AsyncKernelClient):
    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # IOPub is subscribed once a message (the request's status) comes through
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    # What jupyter_client does with the reply: speak the kernel's protocol version.
                    major = int(reply["content"]["protocol_version"].split(".")[0])
                    if major != protocol_version_info[0]:
                        self.session.adapt_version = major
                    return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
