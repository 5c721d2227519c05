"""An OpenAI-compatible chat client for the cold-start annotator (GPT-4o, or a local vLLM server).

Transport (one reused client, per-request timeouts, retries with exponential backoff on connection errors, 408,
409, 429 and 5xx, the API key only in the ``Authorization`` header) is :mod:`r1_reward.openai_chat`; this module
builds the annotator's request and reads its reply.
"""

from dataclasses import dataclass

from r1_reward.data.schema import IMAGE_PLACEHOLDER
from r1_reward.openai_chat import ChatSettings, OpenAIChat, image_part


class AnnotatorError(RuntimeError):
    """The endpoint's reply is not a chat completion."""


@dataclass(frozen=True)
class Endpoint(ChatSettings):
    """Where the annotator runs and how to call it: the shared transport settings, annotator defaults
    (long generations: 300 s, 4 retries) and the sampling settings (temperature 0 per §3.2)."""

    timeout_s: float = 300.0
    retries: int = 4
    temperature: float = 0.0
    max_tokens: int = 4096


def chat_content(text: str, images: list[bytes]) -> list[dict]:
    """OpenAI content parts: the text split at each ``<image>`` with the images in their places."""
    pieces = text.split(IMAGE_PLACEHOLDER)
    if len(pieces) - 1 != len(images):
        raise ValueError(f"prompt has {len(pieces) - 1} {IMAGE_PLACEHOLDER} placeholders for {len(images)} images")
    parts: list[dict] = []
    for index, piece in enumerate(pieces):
        if index:
            parts.append(image_part(images[index - 1]))
        if piece:
            parts.append({"type": "text", "text": piece})
    return parts


class ChatClient:
    """Sends one-turn chats to ``{base_url}/chat/completions`` through one reused client."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._chat = OpenAIChat(endpoint)
        self.url = self._chat.url

    async def close(self) -> None:
        await self._chat.close()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries and failed ones included."""
        return self._chat.requests

    async def complete(self, content: list[dict]) -> str:
        """The reply text for one user turn, retrying transient failures with backoff."""
        body = {
            "model": self.endpoint.model,
            "messages": [{"role": "user", "content": content}],
            "temperature": self.endpoint.temperature,
            "max_tokens": self.endpoint.max_tokens,
        }
        payload = await self._chat.post_chat(body)  # ChatGaveUp / ChatRefused say what failed
        try:
            return payload["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as error:
            raise AnnotatorError(f"{self.url} returned no choices[0].message.content: {str(payload)[:300]}") from error
