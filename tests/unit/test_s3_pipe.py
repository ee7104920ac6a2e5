"""The pipe between the pipeline's writes and the transfer manager's reads gives back every byte, in order."""

import random
import threading

from csvlake.s3 import _Pipe


def test_reads_of_any_size_give_back_the_pieces_written_in_order():
    rnd = random.Random(3)
    for _ in range(50):
        pieces = [rnd.randbytes(rnd.choice([0, 1, 7, 100, 5000])) for _ in range(rnd.randint(0, 40))]
        pipe = _Pipe()

        def write(pieces=pieces, pipe=pipe):
            for piece in pieces:
                pipe.put(piece)
            pipe.put(None)

        writer = threading.Thread(target=write)
        writer.start()
        read = []
        while chunk := pipe.read(rnd.choice([1, 3, 4096, 20_000])):
            read.append(chunk)
        writer.join()
        assert b"".join(read) == b"".join(pieces)
        assert all(isinstance(chunk, bytes) for chunk in read)
        assert pipe.read() == b""
